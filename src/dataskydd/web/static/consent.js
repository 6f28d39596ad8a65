/*
 * dataskydd consent banner. Readable source, no dependencies.
 *
 *   <script src="https://<dataskydd host>/consent.js" defer></script>
 *
 * Texts, choices, their cookies and the text version come from the policy file
 * (/consent/config): this script names no choice. The choice is kept in ONE first-party cookie of the embedding site
 * (strictly necessary):
 *   dataskydd_consent=<visitor id>.<text version>.<granted choices joined by +>
 * and recorded on the dataskydd server as evidence (POST /consent). Page events
 * (POST /collect) are sent only with every choice that measures visits, the tracking pixel only
 * with its choice; a visit id is kept in sessionStorage only while visits are measured. Global
 * Privacy Control refuses the choices the policy marks refused_under_gpc.
 * Any element with data-dataskydd-settings (or a link to #cookie-settings) reopens the
 * settings. Listen for the "dataskydd:consent" event to learn the choice.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.dataskydd) return;

  var BASE = new URL(script.src, location.href).origin;
  // From the policy, once the config has loaded: the optional choices, those page events need,
  // the one the pixel needs (null: no pixel) and those Global Privacy Control refuses.
  var OPTIONAL = [], VISITS = [], PIXEL = null, REFUSED_UNDER_GPC = [];
  var VISIT_KEY = "dataskydd_visit";
  var VISIT_IDLE_MS = 30 * 60 * 1000;
  var lang = (document.documentElement.lang || "sv").toLowerCase().indexOf("en") === 0 ? "en" : "sv";
  var gpc = navigator.globalPrivacyControl === true;

  var config = null;   // the banner texts from the server
  var choice = null;   // {id, version, granted: [...]}
  var banner = null;   // the banner element, once built
  var opener = null;   // what to give focus back to when the banner closes
  var viewed = false, counted = false, pixelSent = false, tracking = false;
  var shownAt = Date.now(), leaveSent = false;

  // ---- the cookie -------------------------------------------------------------------------

  function readChoice() {
    var prefix = (config ? config.cookie_name : "dataskydd_consent") + "=";
    var raw = document.cookie.split("; ").filter(function (c) { return c.indexOf(prefix) === 0; })[0];
    if (!raw) return null;
    var parts = decodeURIComponent(raw.slice(prefix.length)).split(".");
    if (parts.length !== 3 || !/^[0-9a-f]{32}$/.test(parts[0])) return null;
    var granted = parts[2] ? parts[2].split("+") : [];
    return { id: parts[0], version: parts[1], granted: granted.filter(isOptional) };
  }

  function writeChoice() {
    var value = [choice.id, choice.version, choice.granted.join("+")].join(".");
    document.cookie = config.cookie_name + "=" + value + "; Max-Age=" + config.cookie_days * 86400 +
      "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }

  function isOptional(key) { return OPTIONAL.indexOf(key) >= 0; }
  function has(key) { return !!choice && choice.granted.indexOf(key) >= 0; }
  function hasAll(keys) { return keys.length > 0 && keys.every(has); }
  function gpcRefuses(key) { return gpc && REFUSED_UNDER_GPC.indexOf(key) >= 0; }

  function learnChoices(purposes) {
    function keys(flag) {
      return purposes.filter(function (p) { return p[flag]; }).map(function (p) { return p.key; });
    }
    OPTIONAL = purposes.filter(function (p) { return !p.required; }).map(function (p) { return p.key; });
    VISITS = keys("measures_visits");
    PIXEL = keys("tracking_pixel")[0] || null;
    REFUSED_UNDER_GPC = keys("refused_under_gpc");
  }

  function newId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  // ---- talking to the server --------------------------------------------------------------

  // text/plain keeps these CORS "simple requests": no preflight, no cookies of our host needed.
  function post(path, body) {
    return fetch(BASE + path, {
      method: "POST", body: JSON.stringify(body), credentials: "omit", keepalive: true,
      headers: { "Content-Type": "text/plain" }
    });
  }

  function beacon(body) {
    var data = JSON.stringify(body);
    if (navigator.sendBeacon && navigator.sendBeacon(BASE + "/collect", new Blob([data], { type: "text/plain" }))) return;
    post("/collect", body).catch(function () {});
  }

  // The page and its campaign parameters; every other query parameter stays in the browser.
  function pageAddress() {
    var params = new URLSearchParams(location.search), kept = new URLSearchParams();
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (key) {
      if (params.get(key)) kept.set(key, params.get(key).slice(0, 100));
    });
    var query = kept.toString();
    return location.pathname + (query ? "?" + query : "");
  }

  function previousPage() {
    try {
      var ref = new URL(document.referrer);
      return ref.origin === location.origin ? ref.pathname : null;
    } catch (e) { return null; }
  }

  // Another site the visitor came from: its host name only, never its path or query.
  function referrerSite() {
    try {
      var ref = new URL(document.referrer);
      return ref.origin !== location.origin && /^https?:$/.test(ref.protocol) ? ref.hostname : null;
    } catch (e) { return null; }
  }

  function visitId() {
    var now = Date.now(), stored = (sessionStorage.getItem(VISIT_KEY) || "").split(".");
    var id = /^[0-9a-f]{32}$/.test(stored[0]) && now - Number(stored[1]) < VISIT_IDLE_MS ? stored[0] : newId();
    sessionStorage.setItem(VISIT_KEY, id + "." + now);
    return id;
  }

  // ---- what each choice starts ------------------------------------------------------------

  function apply() {
    var granted = choice ? choice.granted.slice() : [];
    window.dataskydd.granted = granted;
    document.dispatchEvent(new CustomEvent("dataskydd:consent", { detail: { granted: granted } }));
    if (hasAll(VISITS)) startTracking(); else stopTracking();
    if (PIXEL && has(PIXEL) && !pixelSent && (script.hasAttribute("data-pixel") || /[?&]utm_/.test(location.search))) {
      pixelSent = true;
      var query = "v=" + choice.id + (tracking ? "&s=" + visitId() : "") + "&p=" + encodeURIComponent(pageAddress());
      if (referrerSite()) query += "&r=" + encodeURIComponent(referrerSite());
      new Image(1, 1).src = BASE + "/collect/pixel.gif?" + query;
    }
    if (!viewed && !counted && config.count_anonymous) {
      counted = true;
      beacon({ kind: "count", page: location.pathname });
    }
  }

  function startTracking() {
    tracking = true;
    if (viewed) return;
    viewed = true;
    shownAt = Date.now();
    var event = { kind: "view", page: pageAddress(), visitor_id: choice.id, visit_id: visitId() };
    var previous = previousPage();
    if (previous) event.previous = previous;
    else if (referrerSite()) event.referrer = referrerSite();
    beacon(event);
  }

  function stopTracking() {
    tracking = false;
    try { sessionStorage.removeItem(VISIT_KEY); } catch (e) { /* storage blocked */ }
  }

  // Time on page: sent when the page is hidden or left; counted again if it comes back.
  function leave() {
    if (!tracking || !viewed || leaveSent) return;
    leaveSent = true;
    beacon({ kind: "leave", page: pageAddress(), visitor_id: choice.id, visit_id: visitId(),
             seconds: Math.min(86400, Math.round((Date.now() - shownAt) / 1000)) });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leave();
    else { shownAt = Date.now(); leaveSent = false; }
  });
  window.addEventListener("pagehide", leave);

  // ---- the choice ---------------------------------------------------------------------------

  function choose(granted) {
    granted = granted.filter(function (key) { return !gpcRefuses(key); });
    choice = { id: choice ? choice.id : newId(), version: config.text_version, granted: granted };
    writeChoice();
    var returnTo = opener;
    closeBanner();
    if (!returnTo) announce();
    post("/consent", { visitor_id: choice.id, text_version: choice.version, granted: granted, gpc: gpc })
      .then(function (response) { if (response.ok) apply(); else { choice.granted = []; apply(); } })
      .catch(function () { choice.granted = []; apply(); });
  }

  // ---- the banner ---------------------------------------------------------------------------

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text) node.textContent = text;
    return node;
  }

  function build() {
    banner = el("section", { "class": "dsk-banner", "aria-labelledby": "dsk-title", lang: lang, hidden: "" });
    banner.appendChild(el("h2", { id: "dsk-title", tabindex: "-1" }, config.title));
    var body = el("p", { id: "dsk-body" }, config.body + " ");
    body.appendChild(el("a", { href: BASE + config.policy_url }, config.policy_link));
    banner.appendChild(body);
    if (gpc) banner.appendChild(el("p", { "class": "dsk-gpc" }, config.gpc_note));

    var settings = el("fieldset", { id: "dsk-settings", "class": "dsk-settings", hidden: "" });
    settings.appendChild(el("legend", {}, config.settings));
    config.purposes.forEach(function (purpose) {
      var row = el("div", { "class": "dsk-purpose" });
      var box = el("input", { type: "checkbox", id: "dsk-p-" + purpose.key, name: purpose.key,
                              "aria-describedby": "dsk-d-" + purpose.key });
      if (purpose.required) { box.checked = true; box.disabled = true; }
      if (gpcRefuses(purpose.key)) box.disabled = true;
      row.appendChild(box);
      row.appendChild(el("label", { "for": box.id }, purpose.title));
      row.appendChild(el("p", { id: "dsk-d-" + purpose.key }, purpose.description));
      if (purpose.cookies && purpose.cookies.length) row.appendChild(cookieTable(purpose));
      settings.appendChild(row);
    });
    banner.appendChild(settings);

    // Accept, Reject and Settings look alike on purpose: refusing is as easy as accepting.
    var buttons = el("div", { "class": "dsk-buttons" });
    [["accept", config.accept], ["reject", config.reject], ["settings", config.settings], ["save", config.save]]
      .forEach(function (b) {
        var button = el("button", { type: "button", "class": "dsk-button", "data-action": b[0] }, b[1]);
        if (b[0] === "settings") { button.setAttribute("aria-expanded", "false"); button.setAttribute("aria-controls", "dsk-settings"); }
        if (b[0] === "save") button.hidden = true;
        buttons.appendChild(button);
      });
    banner.appendChild(buttons);

    banner.addEventListener("click", function (event) {
      var action = event.target.getAttribute && event.target.getAttribute("data-action");
      if (action === "accept") choose(OPTIONAL.slice());
      else if (action === "reject") choose([]);
      else if (action === "settings") toggleSettings(settings.hidden);
      else if (action === "save") {
        choose(OPTIONAL.filter(function (p) { var box = banner.querySelector("#dsk-p-" + p); return box && box.checked; }));
      }
    });
    banner.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && choice && choice.version === config.text_version) closeBanner();
    });
    // First in the page, so the keyboard reaches it first; it does not cover or block the page.
    document.body.insertBefore(banner, document.body.firstChild);
  }

  // A choice's cookies and stored values with their lifetimes.
  function cookieTable(p) {
    var L = config.labels, box = el("details", { "class": "dsk-cookies" }), t = el("table"), r = el("tr");
    box.appendChild(el("summary", {}, L.cookies + " (" + p.cookies.length + ")"));
    [L.name, L.provider, L.lifetime, L.purpose].forEach(function (h) { r.appendChild(el("th", { scope: "col" }, h)); });
    t.appendChild(el("thead")).appendChild(r);
    var b = t.appendChild(el("tbody"));
    p.cookies.forEach(function (c) {
      var tr = b.appendChild(el("tr"));
      [c.name, c.provider || L.first_party, c.lifetime, c.description].forEach(function (v) { tr.appendChild(el("td", {}, v)); });
    });
    box.appendChild(t);
    return box;
  }

  // After a choice, say so where the banner was, and keep the keyboard there (not the body).
  function announce() {
    var note = document.getElementById("dsk-saved") ||
      document.body.insertBefore(el("p", { id: "dsk-saved", "class": "dsk-saved", role: "status", tabindex: "-1" }), banner);
    note.textContent = config.labels.saved;
    note.hidden = false;
    note.focus();
  }

  function toggleSettings(open) {
    banner.querySelector("#dsk-settings").hidden = !open;
    banner.querySelector("[data-action=save]").hidden = !open;
    banner.querySelector("[data-action=settings]").setAttribute("aria-expanded", String(open));
    OPTIONAL.forEach(function (p) {
      var box = banner.querySelector("#dsk-p-" + p);
      if (box) box.checked = has(p) && !gpcRefuses(p);
    });
    if (open) banner.querySelector("#dsk-settings input:not([disabled])").focus();
  }

  function openBanner(withSettings) {
    if (!config) return;
    if (!banner) build();
    banner.hidden = false;
    var note = document.getElementById("dsk-saved");
    if (note) note.hidden = true;
    toggleSettings(!!withSettings);
    if (withSettings) return;
    if (opener) banner.querySelector("#dsk-title").focus();
  }

  function closeBanner() {
    if (!banner) return;
    banner.hidden = true;
    if (opener && document.contains(opener)) opener.focus();
    opener = null;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-dataskydd-settings], a[href='#cookie-settings']");
    if (!target) return;
    event.preventDefault();
    opener = target;
    openBanner(true);
  });

  window.dataskydd = {
    granted: [],
    openSettings: function () { opener = document.activeElement; openBanner(true); }
  };

  var link = el("link", { rel: "stylesheet", href: BASE + "/consent.css" });
  document.head.appendChild(link);

  fetch(BASE + "/consent/config?language=" + lang, { credentials: "omit" })
    .then(function (response) { if (!response.ok) throw new Error(response.status); return response.json(); })
    .then(function (loaded) {
      config = loaded;
      learnChoices(config.purposes);
      choice = readChoice();
      // A new text version asks again; until then only the old choice's necessary part holds.
      if (choice && choice.version === config.text_version) apply();
      else { if (choice) choice.granted = []; openBanner(false); }
    })
    .catch(function () { /* no banner, and nothing beyond necessary cookies */ });
})();
