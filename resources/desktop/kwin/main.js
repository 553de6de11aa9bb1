// WFH Agent window reporter for KWin (Plasma 5.27 and 6).
//
// Plasma on Wayland does not let applications read which window has the focus. WFH Agent loads this
// script into KWin while monitoring runs; at every focus or title change it calls
// org.wfhagent.KWinBridge.WindowActivated on the session bus with {"title", "app_id", "pid"} as JSON
// ("" when no window has the focus). The agent owns that name only while it runs.
var BUS_NAME = "org.wfhagent.KWinBridge";
var OBJECT_PATH = "/org/wfhagent/KWinBridge";

function focused() {
    return workspace.activeWindow !== undefined ? workspace.activeWindow : workspace.activeClient;
}

function report(window) {
    var payload = window ? JSON.stringify({
        title: String(window.caption || ""),
        app_id: String(window.resourceClass || ""),
        pid: window.pid || 0
    }) : "";
    callDBus(BUS_NAME, OBJECT_PATH, BUS_NAME, "WindowActivated", payload);
}

function watch(window) {
    if (!window || window.wfhAgentWatched)
        return;
    window.wfhAgentWatched = true;
    window.captionChanged.connect(function () {
        if (focused() === window)
            report(window);
    });
}

var activated = workspace.windowActivated !== undefined ? workspace.windowActivated : workspace.clientActivated;
activated.connect(function (window) {
    watch(window);
    report(window);
});
watch(focused());
report(focused());
