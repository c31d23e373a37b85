// The duty dashboard's three cards, for what Home Assistant's own cards cannot show (see dashboard.py):
//   ngu-doan-camera-tile  a camera's refreshed still, its whole frame coloured by its state, with a badge
//   ngu-doan-alerts       the site's open alerts, newest first, each with its snapshot and an acknowledge button
//   ngu-doan-snapshots    a camera's newest motion snapshots from the media folder
// Plain custom elements (no build step, nothing to download): shipped in the integration, loaded by it.

const TEXT = {
  vi: {
    offline: "MẤT KẾT NỐI", covered: "BỊ CHE", moved: "BỊ XOAY", video_lost: "MẤT HÌNH", tamper: "PHÁ HOẠI",
    motion: "CHUYỂN ĐỘNG", rec: "REC", rec_error: "LỖI GHI", no_alerts: "Không có cảnh báo đang mở",
    acknowledge: "Xác nhận", acknowledge_all: "Xác nhận tất cả", confirm_all: "Xác nhận mọi cảnh báo đang mở?",
    clip: "Xem clip", camera: "Camera", ended: "đã hết", repeats: "lần", failed: "Không thực hiện được",
    no_snapshots: "Chưa có ảnh chuyển động", close: "Đóng",
    kind: { motion: "Chuyển động", tamper: "Phá hoại", offline: "Mất kết nối", recording_failed: "Lỗi ghi hình", other: "Khác" },
  },
  en: {
    offline: "OFFLINE", covered: "COVERED", moved: "MOVED", video_lost: "VIDEO LOST", tamper: "TAMPER",
    motion: "MOTION", rec: "REC", rec_error: "REC FAILED", no_alerts: "No open alerts",
    acknowledge: "Acknowledge", acknowledge_all: "Acknowledge all", confirm_all: "Acknowledge every open alert?",
    clip: "Watch clip", camera: "Camera", ended: "over", repeats: "times", failed: "Could not be done",
    no_snapshots: "No motion snapshots yet", close: "Close",
    kind: { motion: "Motion", tamper: "Tamper", offline: "Offline", recording_failed: "Recording failure", other: "Other" },
  },
};
const KIND_ICON = {
  motion: "mdi:motion-sensor", tamper: "mdi:shield-alert", offline: "mdi:lan-disconnect",
  recording_failed: "mdi:record-rec", other: "mdi:alert",
};
const DOMAIN = "ngu_doan_cameras";

const language = (hass) => ((hass.locale && hass.locale.language) || hass.language || "en").toLowerCase();
const text = (hass) => (language(hass).startsWith("vi") ? TEXT.vi : TEXT.en);

// A DOM node from a tag, its attributes and children; text is always set as text, never parsed as HTML.
function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

function navigate(path) {
  history.pushState(null, "", path);
  window.dispatchEvent(new CustomEvent("location-changed", { detail: { replace: false } }));
}

// Media files need a signed URL in an <img> (the browser cannot send the login token with it).
const signed = new Map();
async function signPath(hass, path) {
  if (!path || !path.startsWith("/")) return path;
  const cached = signed.get(path);
  if (cached && cached.until > Date.now()) return cached.url;
  const result = await hass.callWS({ type: "auth/sign_path", path, expires: 3600 });
  signed.set(path, { url: result.path, until: Date.now() + 3000 * 1000 });
  return result.path;
}

function formatTime(hass, iso) {
  const when = new Date(iso);
  const locale = language(hass);
  const time = when.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
  if (when.toDateString() === new Date().toDateString()) return time;
  return `${time} ${when.toLocaleDateString(locale, { day: "2-digit", month: "2-digit" })}`;
}

function ago(hass, iso) {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  const format = new Intl.RelativeTimeFormat(language(hass), { numeric: "auto" });
  if (Math.abs(seconds) < 60) return format.format(seconds, "second");
  if (Math.abs(seconds) < 3600) return format.format(Math.round(seconds / 60), "minute");
  if (Math.abs(seconds) < 86400) return format.format(Math.round(seconds / 3600), "hour");
  return format.format(Math.round(seconds / 86400), "day");
}

function overlay(hass, content) {
  const close = () => layer.remove();
  const layer = h("div", { class: "overlay", onclick: (event) => event.target === layer && close() },
    h("div", { class: "overlay-box" }, content, h("button", { class: "secondary", onclick: close }, text(hass).close)));
  return layer;
}

const BASE_STYLE = `
  :host { display: block; }
  ha-card { overflow: hidden; height: 100%; box-sizing: border-box; }
  button { font: inherit; border: none; border-radius: 18px; padding: 6px 14px; cursor: pointer;
    background: var(--primary-color); color: var(--text-primary-color, #fff); font-weight: 500; }
  button.secondary { background: var(--secondary-background-color); color: var(--primary-text-color); }
  button[disabled] { opacity: 0.5; cursor: progress; }
  .overlay { position: fixed; inset: 0; background: rgba(0,0,0,0.85); z-index: 10; display: flex;
    align-items: center; justify-content: center; }
  .overlay-box { display: flex; flex-direction: column; gap: 12px; align-items: center; max-width: 96vw; }
  .overlay-box img, .overlay-box video { max-width: 96vw; max-height: 82vh; }
`;

// --- camera tile ----------------------------------------------------------------------------------

class NguDoanCameraTile extends HTMLElement {
  setConfig(config) {
    if (!config || !config.camera) throw new Error("camera is required");
    this._config = { refresh: 5, ...config };
  }

  set hass(hass) {
    this._hass = hass;
    if (!this._root) this._build();
    this._update();
  }

  getCardSize() { return 3; }
  getGridOptions() { return { columns: 6, rows: "auto", min_columns: 3 }; }

  connectedCallback() {
    this._timer = setInterval(() => this._refresh(), ((this._config && this._config.refresh) || 5) * 1000);
  }

  disconnectedCallback() { clearInterval(this._timer); }

  _build() {
    const root = this.attachShadow({ mode: "open" });
    this._image = h("img", { alt: "" });
    this._badge = h("div", { class: "badge" });
    this._rec = h("div", { class: "rec" });
    this._name = h("div", { class: "name" }, this._config.name || this._config.camera);
    this._card = h("ha-card", { role: "button", tabindex: "0", onclick: () => this._open(),
      onkeydown: (event) => event.key === "Enter" && this._open() },
      h("div", { class: "picture" }, this._image, this._badge, this._rec, this._name));
    root.append(h("style", {}, BASE_STYLE + TILE_STYLE), this._card);
    this._root = root;
  }

  _open() {
    if (this._config.navigation_path) navigate(this._config.navigation_path);
    else this.dispatchEvent(new CustomEvent("hass-more-info", { bubbles: true, composed: true, detail: { entityId: this._config.camera } }));
  }

  _state(key) {
    const entityId = this._config[key];
    return entityId && this._hass.states[entityId];
  }

  // offline > tamper > motion > ok: what the officer has to look at first.
  _status() {
    const camera = this._state("camera");
    const connectivity = this._state("connectivity");
    if (!camera || camera.state === "unavailable" || (connectivity && connectivity.state === "off")) return ["offline", "offline", "mdi:lan-disconnect"];
    const tamper = this._state("tamper");
    if (tamper && tamper.state === "on") {
      const kind = tamper.attributes.kind;
      return ["tamper", ["covered", "moved", "video_lost"].includes(kind) ? kind : "tamper", "mdi:shield-alert"];
    }
    const motion = this._state("motion");
    if (motion && motion.state === "on") return ["motion", "motion", "mdi:motion-sensor"];
    return ["ok", null, null];
  }

  _update() {
    const words = text(this._hass);
    const [status, label, icon] = this._status();
    this.dataset.state = status;
    this.dataset.name = this._config.name || "";
    this._card.className = status;
    this._badge.replaceChildren(...(label ? [h("ha-icon", { icon }), words[label]] : []));
    const recording = this._state("recording");
    const rec = recording ? recording.state : "off";
    this._rec.className = `rec ${rec === "error" ? "error" : ["recording", "clip"].includes(rec) ? "on" : "none"}`;
    this._rec.textContent = rec === "error" ? words.rec_error : words.rec;
    const camera = this._state("camera");
    const picture = camera && camera.attributes.entity_picture;
    if (picture && picture !== this._picture) {
      this._picture = picture;
      this._refresh();
    }
  }

  // A new still every few seconds, swapped in only once it has loaded (no flicker, no pile-up).
  _refresh() {
    if (!this._picture || this._loading || document.visibilityState === "hidden" || this.dataset.state === "offline") return;
    const separator = this._picture.includes("?") ? "&" : "?";
    const url = `${this._picture}${separator}width=480&_=${Date.now()}`;
    const next = new Image();
    this._loading = true;
    next.onload = () => { this._image.src = url; this._loading = false; this.dataset.still = "loaded"; };
    next.onerror = () => { this._loading = false; };
    next.src = url;
  }
}

const TILE_STYLE = `
  ha-card { cursor: pointer; border: 4px solid transparent; transition: border-color 0.3s; }
  ha-card:focus-visible { outline: 2px solid var(--primary-color); }
  .picture { position: relative; aspect-ratio: 16 / 9; background: #111; }
  img { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; }
  .name { position: absolute; left: 0; right: 0; bottom: 0; padding: 14px 8px 4px; color: #fff; font-weight: 500;
    font-size: 14px; background: linear-gradient(transparent, rgba(0,0,0,0.75)); white-space: nowrap;
    overflow: hidden; text-overflow: ellipsis; }
  .badge { position: absolute; top: 6px; left: 6px; display: none; align-items: center; gap: 4px; padding: 2px 8px 2px 4px;
    border-radius: 12px; color: #fff; font-size: 12px; font-weight: 700; letter-spacing: 0.02em; }
  .badge ha-icon { --mdc-icon-size: 18px; }
  .rec { position: absolute; top: 6px; right: 6px; padding: 1px 6px; border-radius: 8px; font-size: 11px; font-weight: 700;
    color: #fff; background: rgba(0,0,0,0.55); }
  .rec::before { content: "\\25CF  "; color: #ff3b30; }
  .rec.none { display: none; }
  .rec.error { background: #ff9800; }
  .rec.error::before { color: #fff; }
  ha-card.offline { border-color: #e53935; }
  ha-card.offline img { filter: grayscale(1) brightness(0.35); }
  ha-card.offline .badge { display: flex; background: #e53935; }
  ha-card.tamper { border-color: #fb8c00; }
  ha-card.tamper .badge { display: flex; background: #fb8c00; }
  ha-card.motion { border-color: #fdd835; }
  ha-card.motion .badge { display: flex; background: #f9a825; animation: pulse 1s ease-in-out infinite alternate; }
  @keyframes pulse { from { opacity: 1; } to { opacity: 0.55; } }
`;

// --- open alerts ----------------------------------------------------------------------------------

class NguDoanAlerts extends HTMLElement {
  setConfig(config) {
    if (!config || !config.entity) throw new Error("entity is required");
    this._config = config;
  }

  set hass(hass) {
    this._hass = hass;
    if (!this._root) {
      this._root = this.attachShadow({ mode: "open" });
      this._list = h("div", { class: "list" });
      this._root.append(h("style", {}, BASE_STYLE + ALERTS_STYLE), h("ha-card", {}, this._list));
    }
    const state = hass.states[this._config.entity];
    const key = `${language(hass)}|${state ? state.last_updated : ""}`;
    if (key !== this._key) {
      this._key = key;
      this._render(state);
    }
  }

  getCardSize() { return 6; }
  getGridOptions() { return { columns: "full", rows: "auto" }; }

  _render(state) {
    const words = text(this._hass);
    const alerts = (state && state.attributes.open) || [];
    this.dataset.count = String(alerts.length);
    if (!alerts.length) {
      this._list.replaceChildren(h("div", { class: "empty" }, h("ha-icon", { icon: "mdi:check-circle" }), words.no_alerts));
      return;
    }
    const header = alerts.length > 1
      ? h("div", { class: "header" }, h("button", { class: "secondary", onclick: (event) => this._acknowledgeAll(event.target) }, words.acknowledge_all))
      : null;
    this._list.replaceChildren(...[header, ...alerts.map((alert) => this._row(alert, words))].filter(Boolean));
  }

  _row(alert, words) {
    const picture = h("img", { alt: "", class: "snapshot" });
    const snapshot = alert.last_snapshot || alert.snapshot;
    if (snapshot) {
      signPath(this._hass, snapshot).then((url) => { picture.src = url; }).catch(() => picture.remove());
      picture.addEventListener("click", () => this._root.append(overlay(this._hass, h("img", { src: picture.src, alt: "" }))));
    } else {
      picture.classList.add("none");
    }
    const cameraPath = (this._config.cameras || {})[alert.camera_id];
    const kind = KIND_ICON[alert.kind] ? alert.kind : "other";
    return h("div", { class: `alert ${kind}`, "data-alert-id": alert.alert_id },
      picture,
      h("div", { class: "body" },
        h("div", { class: "title" },
          h("span", { class: "kind" }, h("ha-icon", { icon: KIND_ICON[kind] }), words.kind[kind]),
          h("span", { class: "camera" }, alert.camera),
          alert.repeats ? h("span", { class: "repeats" }, `×${alert.repeats + 1}`) : null,
          alert.ended_at ? h("span", { class: "ended" }, words.ended) : null),
        h("div", { class: "when", title: alert.raised_at },
          `${formatTime(this._hass, alert.raised_at)} · ${ago(this._hass, alert.raised_at)}${alert.area ? ` · ${alert.area}` : ""}`),
        alert.message ? h("div", { class: "message" }, alert.message) : null,
        h("div", { class: "actions" },
          h("button", { class: "acknowledge", onclick: (event) => this._acknowledge(event.target, alert.alert_id) }, words.acknowledge),
          alert.clip ? h("button", { class: "secondary clip", onclick: () => this._playClip(alert.clip) }, words.clip) : null,
          cameraPath ? h("button", { class: "secondary", onclick: () => navigate(cameraPath) }, words.camera) : null)));
  }

  async _call(button, data) {
    button.disabled = true;
    try {
      await this._hass.callService(DOMAIN, "acknowledge", data);
    } catch (err) {
      button.disabled = false;
      button.title = (err && err.message) || text(this._hass).failed;
      button.textContent = text(this._hass).failed;
    }
  }

  _acknowledge(button, alertId) { return this._call(button, { alert_id: alertId }); }

  _acknowledgeAll(button) {
    if (window.confirm(text(this._hass).confirm_all)) this._call(button, { all: true });
  }

  // The clip plays here when the media source can resolve it; otherwise the media browser shows the recordings.
  async _playClip(mediaId) {
    try {
      const media = await this._hass.callWS({ type: "media_source/resolve_media", media_content_id: mediaId });
      const url = this._hass.hassUrl ? this._hass.hassUrl(media.url) : media.url;
      this._root.append(overlay(this._hass, h("video", { src: url, controls: true, autoplay: true, playsinline: true })));
    } catch (err) {
      if (this._config.media_browser) navigate(this._config.media_browser);
    }
  }
}

const ALERTS_STYLE = `
  .list { display: flex; flex-direction: column; gap: 8px; padding: 8px; max-height: 420px; overflow-y: auto; }
  .header { display: flex; justify-content: flex-end; }
  .empty { display: flex; align-items: center; gap: 8px; padding: 12px; color: var(--secondary-text-color); }
  .empty ha-icon { color: var(--success-color, #43a047); }
  .alert { display: flex; gap: 10px; padding: 8px; border-radius: 10px; border-left: 6px solid #f9a825;
    background: var(--secondary-background-color); }
  .alert.offline, .alert.recording_failed { border-left-color: #e53935; }
  .alert.tamper { border-left-color: #fb8c00; }
  .snapshot { width: 128px; height: 72px; object-fit: cover; border-radius: 6px; background: #111; cursor: zoom-in; flex: none; }
  .snapshot.none { visibility: hidden; }
  .body { display: flex; flex-direction: column; gap: 3px; min-width: 0; flex: 1; }
  .title { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; font-weight: 500; }
  .kind { display: inline-flex; align-items: center; gap: 2px; font-size: 12px; text-transform: uppercase;
    color: var(--secondary-text-color); }
  .kind ha-icon { --mdc-icon-size: 16px; }
  .repeats, .ended { font-size: 12px; padding: 0 6px; border-radius: 8px; background: var(--divider-color); }
  .when, .message { font-size: 13px; color: var(--secondary-text-color); }
  .actions { display: flex; gap: 6px; flex-wrap: wrap; margin-top: 2px; }
`;

// --- motion snapshots -----------------------------------------------------------------------------

class NguDoanSnapshots extends HTMLElement {
  setConfig(config) {
    if (!config || !config.folder) throw new Error("folder is required");
    this._config = { count: 12, refresh: 30, ...config };
  }

  set hass(hass) {
    const first = !this._hass;
    this._hass = hass;
    if (!this._root) {
      this._root = this.attachShadow({ mode: "open" });
      this._grid = h("div", { class: "grid" });
      this._root.append(h("style", {}, BASE_STYLE + SNAPSHOTS_STYLE), h("ha-card", {}, this._grid));
    }
    if (first) this._load();
  }

  getCardSize() { return 4; }
  getGridOptions() { return { columns: "full", rows: "auto" }; }

  connectedCallback() { this._timer = setInterval(() => this._load(), ((this._config && this._config.refresh) || 30) * 1000); }
  disconnectedCallback() { clearInterval(this._timer); }

  // The newest files of the camera's folder in the local media source (names are times: newest last).
  async _load() {
    if (!this._hass || document.visibilityState === "hidden") return;
    let files = [];
    try {
      const folder = await this._hass.callWS({
        type: "media_source/browse_media",
        media_content_id: `media-source://media_source/local/${this._config.folder}`,
      });
      files = (folder.children || []).filter((child) => child.media_class === "image").map((child) => child.title);
    } catch (err) {
      files = []; // no folder yet: the camera has not seen motion
    }
    files.sort();
    const newest = files.slice(-this._config.count).reverse();
    if (newest.join("|") === this._shown) return;
    this._shown = newest.join("|");
    this.dataset.count = String(newest.length);
    if (!newest.length) {
      this._grid.replaceChildren(h("div", { class: "empty" }, text(this._hass).no_snapshots));
      return;
    }
    const base = `/media/local/${this._config.folder.split("/").map(encodeURIComponent).join("/")}`;
    this._grid.replaceChildren(...newest.map((name) => this._tile(`${base}/${encodeURIComponent(name)}`, name)));
  }

  _tile(path, name) {
    const picture = h("img", { alt: name });
    signPath(this._hass, path).then((url) => { picture.src = url; }).catch(() => picture.remove());
    return h("figure", { onclick: () => this._root.append(overlay(this._hass, h("img", { src: picture.src, alt: name }))) },
      picture, h("figcaption", {}, snapshotTime(name)));
  }
}

// "20261130-021305-120.jpg" -> "02:13:05 30/11"
function snapshotTime(name) {
  const match = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(name);
  return match ? `${match[4]}:${match[5]}:${match[6]} ${match[3]}/${match[2]}` : name;
}

const SNAPSHOTS_STYLE = `
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(160px, 1fr)); gap: 8px; padding: 8px; }
  figure { margin: 0; cursor: zoom-in; }
  figure img { width: 100%; aspect-ratio: 16 / 9; object-fit: cover; border-radius: 6px; background: #111; display: block; }
  figcaption { font-size: 12px; color: var(--secondary-text-color); text-align: center; }
  .empty { padding: 12px; color: var(--secondary-text-color); }
`;

const ELEMENTS = [
  ["ngu-doan-camera-tile", NguDoanCameraTile],
  ["ngu-doan-alerts", NguDoanAlerts],
  ["ngu-doan-snapshots", NguDoanSnapshots],
];

function register() {
  for (const [name, element] of ELEMENTS) {
    if (customElements.get(name)) continue;
    try {
      customElements.define(name, element);
    } catch (err) {
      // Defined natively already, before the registry below came: the new registry still learns the name.
    }
  }
}

register();
// The integration loads this module early, and Home Assistant's frontend may put its own (scoped) custom
// element registry in place afterwards, which does not see what was defined before: define the cards
// again in the registry the frontend uses, once it is there.
const firstRegistry = window.customElements;
const watch = setInterval(() => {
  if (window.customElements !== firstRegistry) {
    clearInterval(watch);
    register();
  }
}, 50);
setTimeout(() => clearInterval(watch), 60_000);
window.customCards = window.customCards || [];
window.customCards.push(
  { type: "ngu-doan-camera-tile", name: "Ngũ Đoan camera tile", description: "A camera's still, coloured by its state" },
  { type: "ngu-doan-alerts", name: "Ngũ Đoan open alerts", description: "Open alerts with snapshot and acknowledge" },
  { type: "ngu-doan-snapshots", name: "Ngũ Đoan motion snapshots", description: "A camera's newest motion snapshots" },
);
