// The extension's manifest, one per browser from one description: Chromium wants
// background.service_worker, Firefox (MV3) background.scripts and a gecko id. No remote code:
// every script is a bundled file of the extension, and the default MV3 content security policy
// applies. Host permissions cover the gateway on loopback; a gateway elsewhere is asked for
// at run time (optional_host_permissions).

/** @param {"chromium" | "firefox"} target @param {string} version */
export function manifestFor(target, version) {
  const manifest = {
    manifest_version: 3,
    name: "dial3cx click-to-call",
    short_name: "dial3cx",
    version,
    description:
      "Every phone number on a web page becomes a call button for your 3CX phone, through the local dial3cx gateway.",
    permissions: ["storage", "contextMenus"],
    host_permissions: ["http://127.0.0.1/*", "http://localhost/*", "http://[::1]/*"],
    optional_host_permissions: ["https://*/*", "http://*/*"],
    background:
      target === "firefox" ? { scripts: ["background.js"] } : { service_worker: "background.js" },
    action: { default_title: "Call with 3CX", default_popup: "popup.html" },
    options_ui: { page: "options.html", open_in_tab: true },
    content_scripts: [
      {
        matches: ["http://*/*", "https://*/*"],
        js: ["content.js"],
        css: ["content.css"],
        run_at: "document_idle",
        // Numbers in frames too (CRMs and ticket systems show mail and widgets in iframes,
        // often srcdoc or about:blank ones): each frame runs its own marker.
        all_frames: true,
        match_about_blank: true,
      },
    ],
  };
  if (target === "firefox") {
    manifest.browser_specific_settings = {
      gecko: {
        id: "dial3cx@dial3cx",
        strict_min_version: "142.0",
        data_collection_permissions: { required: ["none"] },
      },
    };
  } else {
    manifest.minimum_chrome_version = "116";
  }
  return manifest;
}
