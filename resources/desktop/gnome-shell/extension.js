// WFH Agent window tracker for GNOME Shell 45 and later.
//
// GNOME on Wayland does not let applications read which window has the focus. This extension answers
// exactly that question, and nothing else, for the WFH Agent desktop app of the same user: it exports
// org.wfhagent.WindowTracker on the user's session bus with one method, FocusedWindow(), which returns
// {"title", "app_id", "pid"} of the focused window as JSON (or null). It records nothing itself.
import Gio from 'gi://Gio';
import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';

const BUS_NAME = 'org.wfhagent.WindowTracker';
const OBJECT_PATH = '/org/wfhagent/WindowTracker';
const INTERFACE = `<node>
  <interface name="org.wfhagent.WindowTracker">
    <method name="FocusedWindow">
      <arg type="s" direction="out" name="window_json"/>
    </method>
  </interface>
</node>`;

export default class WfhAgentWindowTracker extends Extension {
    enable() {
        this._object = Gio.DBusExportedObject.wrapJSObject(INTERFACE, this);
        this._object.export(Gio.DBus.session, OBJECT_PATH);
        this._nameId = Gio.bus_own_name_on_connection(Gio.DBus.session, BUS_NAME,
            Gio.BusNameOwnerFlags.NONE, null, null);
    }

    disable() {
        if (this._nameId)
            Gio.bus_unown_name(this._nameId);
        this._nameId = 0;
        if (this._object)
            this._object.unexport();
        this._object = null;
    }

    FocusedWindow() {
        const window = global.display.get_focus_window();
        if (!window)
            return JSON.stringify(null);
        return JSON.stringify({
            title: window.get_title() ?? '',
            app_id: window.get_wm_class() ?? '',
            pid: window.get_pid(),
        });
    }
}
