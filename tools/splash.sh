#!/usr/bin/env bash
# Install, start, stop and check a local Splash 3.5 server (the JavaScript renderer behind
# `-a render=splash`) on Debian 12.
#
#   tools/splash.sh install        Debian packages + a venv in $SPLASH_HOME with splash==3.5, patched
#   tools/splash.sh start [PORT]   start it on 127.0.0.1:PORT (default $SPLASH_PORT or 8050), wait for /_ping
#   tools/splash.sh stop [PORT]    stop the server started on PORT
#   tools/splash.sh status [PORT]  exit 0 when http://127.0.0.1:PORT/_ping answers ok
#   tools/splash.sh pid [PORT]     print the process id of the server started on PORT
#   tools/splash.sh python         print the interpreter that runs Splash (empty + exit 1 when not installed)
#
# Splash 3.5 (2020) is the last release. It needs Qt WebKit from Debian, so it runs in a venv made from
# Debian's python3 with --system-site-packages; pip installs splash itself without dependencies (they
# come from apt). Two fixes are applied to the installed files: upstream scrapinghub/splash#1053 (without
# it every POST, which is what scrapy-splash sends, answers 500 on Python >= 3.9), and a one-line guard for
# scrapinghub/splash#699 (an iframe that fails to load, such as a YouTube embed offline, fails the page).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SPLASH_HOME="${SPLASH_HOME:-$ROOT/.splash}"
PORT="${2:-${SPLASH_PORT:-8050}}"
PY="$SPLASH_HOME/venv/bin/python"
RUN="$SPLASH_HOME/run"
APT_PACKAGES=(python3-pyqt5.qtwebkit python3-pyqt5.qtwebengine python3-qt5reactor python3-twisted
    python3-psutil python3-pil python3-lupa python3-funcparserlib python3-venv xvfb curl)

die() { echo "tools/splash.sh: $*" >&2; exit 1; }

installed() { [ -x "$PY" ] && "$PY" -c 'import splash, PyQt5.QtWebKit' 2>/dev/null; }

ping_ok() { curl -fsS --max-time 2 "http://127.0.0.1:$PORT/_ping" 2>/dev/null | grep -q '"ok"'; }

install() {
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${APT_PACKAGES[@]}" >/dev/null
    # Debian's interpreter, whatever python3 is first on PATH: the Qt bindings belong to it.
    [ -x "$PY" ] || /usr/bin/python3 -m venv --system-site-packages "$SPLASH_HOME/venv"
    "$SPLASH_HOME/venv/bin/pip" install --quiet --no-deps splash==3.5 adblockparser==0.7 xvfbwrapper==0.2.37
    local options
    options="$("$PY" -c 'import splash, os; print(os.path.join(os.path.dirname(splash.__file__), "render_options.py"))')"
    sed -i "s/json.loads(content, encoding='utf8')/json.loads(content)/" "$options"
    grep -q "json.loads(content, encoding" "$options" && die "could not patch $options"
    # A frame that fails to load (an embed from a host that cannot be reached, or one that
    # allowed_domains drops) must not fail the whole page (scrapinghub/splash#699, open upstream):
    # keep the error only when it is the main frame's.
    local webpage="${options%/render_options.py}/engines/webkit/webpage.py"
    if ! grep -q "splash#699" "$webpage"; then
        sed -i "/errorPage.content = QByteArray(content.encode('utf-8'))/a\\            if info.frame != self.mainFrame():  # splash#699: a failed iframe does not fail the page\\n                self.error_info = None" "$webpage"
        grep -q "splash#699" "$webpage" || die "could not patch $webpage"
    fi
    installed || die "splash is installed in $SPLASH_HOME but does not import; see the messages above."
    echo "Splash 3.5 installed in $SPLASH_HOME; start it with: make splash (or tools/splash.sh start)"
}

start() {
    installed || die "Splash is not installed; run: make splash-install (or tools/splash.sh install)"
    if ping_ok; then echo "Splash already answers on 127.0.0.1:$PORT"; return 0; fi
    mkdir -p "$RUN"
    # QtWebEngine (loaded even with --browser-engines=webkit) refuses to start as root with its sandbox.
    QTWEBENGINE_DISABLE_SANDBOX=1 QT_QPA_PLATFORM=offscreen setsid "$PY" -m splash.server \
        --ip 127.0.0.1 --port "$PORT" --browser-engines=webkit --disable-xvfb \
        --max-timeout 90 >"$RUN/splash-$PORT.log" 2>&1 </dev/null &
    echo $! >"$RUN/splash-$PORT.pid"
    for _ in $(seq 1 120); do
        if ping_ok; then echo "Splash answers on http://127.0.0.1:$PORT (log: $RUN/splash-$PORT.log)"; return 0; fi
        kill -0 "$(cat "$RUN/splash-$PORT.pid")" 2>/dev/null || break
        sleep 0.5
    done
    tail -n 20 "$RUN/splash-$PORT.log" >&2 || true
    stop >/dev/null 2>&1 || true
    die "Splash did not answer on 127.0.0.1:$PORT within 60 s; the log above says why."
}

stop() {
    local pidfile="$RUN/splash-$PORT.pid"
    if [ ! -f "$pidfile" ]; then echo "No Splash started by this script on port $PORT"; return 0; fi
    local pid
    pid="$(cat "$pidfile")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$pidfile"
    echo "Splash on port $PORT stopped"
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status)
        if ping_ok; then echo "Splash answers on http://127.0.0.1:$PORT"; else
            echo "Splash does not answer on 127.0.0.1:$PORT; start it with: make splash"; exit 1; fi ;;
    python) installed || exit 1; echo "$PY" ;;
    pid) cat "$RUN/splash-$PORT.pid" 2>/dev/null || die "no Splash started by this script on port $PORT" ;;
    *) die "usage: tools/splash.sh install|start [PORT]|stop [PORT]|status [PORT]|pid [PORT]|python" ;;
esac
