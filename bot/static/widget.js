/*
 * Etude chat widget: one script tag embeds the tutor in any page.
 *
 *   <script src="https://host/widget.js" data-server="https://host" data-open="true"></script>
 *
 * data-server defaults to the script's own origin; data-open="true" starts with the panel open.
 * Everything lives in a shadow root so the host page's styles and ours never meet. Messages go to
 * the Rasa-style REST channel; replies are rendered as DOM nodes built from text, never as HTML.
 * Practice recordings (the microphone, or an audio file) go to /webhooks/rest/recording; the reply
 * carries per-note verdicts, drawn as a row of notes.
 *
 * The widget never names the learner: the server identifies them by an HTTP-only cookie it sets on
 * the first message, so requests go with credentials. A page on another site gets that cookie only
 * if the server lists its origin (ETUDE_CORS_ORIGINS).
 */
(function () {
  "use strict";

  var MAX_BODY_BYTES = 4096; // the server's limit on a request body (bot/channels/rest.py)
  var MAX_RECORDING_BYTES = 10 * 1024 * 1024; // and on a recording (bot/recordings.py)
  var MAX_RECORDING_MS = 60000;
  var MAX_STORED = 200; // transcript entries kept across reloads
  var TIMEOUT_MS = 30000;

  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (!script) {
    return;
  }
  if (window.__etudeWidgetLoaded) {
    return; // a page that includes the tag twice still gets one chat
  }
  window.__etudeWidgetLoaded = true;

  var server = (script.getAttribute("data-server") || new URL(script.src, location.href).origin)
    .replace(/\/+$/, "");
  var startOpen = script.getAttribute("data-open") === "true";
  var storageKey = "etude-widget:" + server;
  var encoder = new TextEncoder();

  /* ---------- persistence ---------- */

  // Only the transcript is kept here; who the learner is lives in the server's cookie.
  function loadState() {
    // Storage may be disabled or hold junk from an older version: start fresh rather than fail.
    try {
      var raw = window.localStorage.getItem(storageKey);
      var saved = raw ? JSON.parse(raw) : null;
      if (saved && Array.isArray(saved.messages)) {
        return { messages: saved.messages.filter(isEntry) };
      }
    } catch (e) {
      /* fall through */
    }
    return { messages: [] };
  }

  function isEntry(entry) {
    return entry && (entry.from === "user" || entry.from === "bot");
  }

  function saveState() {
    if (state.messages.length > MAX_STORED) {
      state.messages = state.messages.slice(-MAX_STORED);
      while (log.children.length > MAX_STORED) {
        log.removeChild(log.firstChild);
      }
    }
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(state));
    } catch (e) {
      /* a full or disabled storage only costs the history, not the chat */
    }
  }

  var state = loadState();

  /* ---------- styles ---------- */

  var css = [
    ":host { all: initial; }",
    ".root { position: fixed; right: 20px; bottom: 20px; z-index: 2147483000; display: flex;",
    "  flex-direction: column; align-items: flex-end;",
    "  font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; color: #1d1b26; }",
    ".root *, .root *::before, .root *::after { box-sizing: border-box; }",
    "button, textarea { font: inherit; color: inherit; }",
    ":focus-visible { outline: 3px solid #f5a623; outline-offset: 2px; }",
    ".launcher { display: flex; align-items: center; gap: 8px; border: 0;",
    "  border-radius: 999px; padding: 12px 18px; background: #4b2e83; color: #fff; cursor: pointer;",
    "  box-shadow: 0 4px 14px rgba(0,0,0,.25); font-weight: 600; }",
    ".launcher:hover { background: #3b2168; }",
    ".panel { display: flex; flex-direction: column; width: min(380px, calc(100vw - 40px));",
    "  height: min(560px, calc(100vh - 110px)); margin-bottom: 12px; background: #fff;",
    "  border-radius: 14px; box-shadow: 0 10px 34px rgba(0,0,0,.28); overflow: hidden;",
    "  transition: opacity .18s ease, transform .18s ease; }",
    ".panel[hidden] { display: none; }",
    ".header { display: flex; align-items: center; justify-content: space-between; padding: 10px 14px;",
    "  background: #4b2e83; color: #fff; }",
    ".title { margin: 0; font-size: 16px; font-weight: 700; }",
    ".close { border: 0; background: transparent; color: #fff; font-size: 22px; line-height: 1;",
    "  padding: 4px 8px; border-radius: 6px; cursor: pointer; }",
    ".close:hover { background: rgba(255,255,255,.15); }",
    ".log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px;",
    "  background: #f6f4fa; }",
    ".msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap;",
    "  overflow-wrap: anywhere; }",
    ".user { align-self: flex-end; background: #4b2e83; color: #fff; border-bottom-right-radius: 4px; }",
    ".bot { align-self: flex-start; background: #fff; border: 1px solid #e0dbea;",
    "  border-bottom-left-radius: 4px; }",
    ".error { align-self: stretch; max-width: none; background: #fdecec; color: #8a1c1c;",
    "  border: 1px solid #f3b7b7; }",
    ".sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;",
    "  clip: rect(0,0,0,0); white-space: nowrap; border: 0; }",
    ".buttons { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; white-space: normal; }",
    ".choice { border: 1px solid #4b2e83; background: #fff; color: #4b2e83; border-radius: 999px;",
    "  padding: 5px 12px; cursor: pointer; }",
    ".choice:hover:not(:disabled) { background: #efe9f9; }",
    ".choice:disabled { cursor: default; opacity: .55; }",
    ".choice.chosen { background: #4b2e83; color: #fff; opacity: .8; }",
    ".media { display: block; max-width: 100%; margin-top: 8px; border-radius: 8px; }",
    "audio.media { width: 260px; max-width: 100%; }",
    ".figure { margin: 0; }",
    ".caption { display: block; margin-top: 6px; font-size: 13px; color: #5b5670; }",
    ".typing { align-self: flex-start; display: flex; gap: 4px; padding: 12px 14px; }",
    ".dot { width: 7px; height: 7px; border-radius: 50%; background: #8b84a3;",
    "  animation: etude-bounce 1s infinite ease-in-out; }",
    ".dot:nth-child(2) { animation-delay: .15s; } .dot:nth-child(3) { animation-delay: .3s; }",
    "@keyframes etude-bounce { 0%, 80%, 100% { transform: translateY(0); opacity: .5; }",
    "  40% { transform: translateY(-5px); opacity: 1; } }",
    ".form { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e0dbea; background: #fff; }",
    ".input { flex: 1; resize: none; min-height: 40px; max-height: 120px; padding: 9px 10px;",
    "  border: 1px solid #b9b2cc; border-radius: 10px; background: #fff; }",
    ".input[aria-invalid='true'] { border-color: #b3261e; }",
    ".send { border: 0; border-radius: 10px; padding: 0 16px; background: #4b2e83; color: #fff;",
    "  font-weight: 600; cursor: pointer; }",
    ".send:disabled { opacity: .55; cursor: default; }",
    ".tool { display: flex; align-items: center; border: 1px solid #b9b2cc; border-radius: 10px;",
    "  padding: 0 9px; background: #fff; color: #4b2e83; cursor: pointer; }",
    ".tool:disabled { opacity: .55; cursor: default; }",
    ".tool[aria-pressed='true'] { background: #b3261e; border-color: #b3261e; color: #fff; }",
    ".tool[hidden] { display: none; }",
    ".notes { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 8px; padding: 0; list-style: none;",
    "  white-space: normal; }",
    ".verdict { border-radius: 6px; padding: 2px 6px; font-size: 13px; border: 1px solid; }",
    ".verdict.ok { background: #e8f5e9; border-color: #81c784; color: #1b5e20; }",
    ".verdict.wrong_note, .verdict.missing { background: #fdecec; border-color: #e57373; color: #8a1c1c; }",
    ".verdict.out_of_tune, .verdict.early, .verdict.late { background: #fff4e0; border-color: #f5a623;",
    "  color: #7a4b00; }",
    ".note { margin: 0; padding: 0 12px 8px; font-size: 13px; color: #b3261e; background: #fff; }",
    ".note:empty { display: none; }",
    "@media (prefers-reduced-motion: reduce) {",
    "  .panel, .launcher { transition: none; }",
    "  .dot { animation: none; opacity: .8; }",
    "  .log { scroll-behavior: auto; }",
    "}",
  ].join("\n");

  /* ---------- DOM ---------- */

  function el(tag, className, attrs) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (attrs) {
      Object.keys(attrs).forEach(function (name) {
        node.setAttribute(name, attrs[name]);
      });
    }
    return node;
  }

  // Icons drawn as SVG paths, so they show whatever fonts the learner's system has.
  var MIC_ICON = ["M12 3a3 3 0 0 0-3 3v6a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3z", "M5 11a7 7 0 0 0 14 0",
    "M12 18v3", "M8 21h8"];
  var CLIP_ICON = ["M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.5 3.5 0 0 1 5 5L10.3 18a2 2 0 0 1-2.8-2.8" +
    "l7.9-7.9"];

  function icon(paths) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    paths.forEach(function (d) {
      var path = document.createElementNS(ns, "path");
      path.setAttribute("d", d);
      path.setAttribute("fill", "none");
      path.setAttribute("stroke", "currentColor");
      path.setAttribute("stroke-width", "2");
      path.setAttribute("stroke-linecap", "round");
      path.setAttribute("stroke-linejoin", "round");
      svg.appendChild(path);
    });
    return svg;
  }

  var host = el("div", null, { id: "etude-chat-widget" });
  var shadow = host.attachShadow({ mode: "open" });
  // A constructed stylesheet where the browser has them: a page's CSP (style-src) governs <style>
  // elements but not these, so host pages need no 'unsafe-inline' for the widget.
  if (typeof CSSStyleSheet === "function" && "adoptedStyleSheets" in shadow && "replaceSync" in CSSStyleSheet.prototype) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    shadow.adoptedStyleSheets = [sheet];
  } else {
    var style = document.createElement("style");
    style.textContent = css;
    shadow.appendChild(style);
  }

  var root = el("div", "root");
  var panel = el("section", "panel", {
    id: "etude-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "etude-title",
  });
  panel.hidden = true;

  var header = el("div", "header");
  var title = el("h2", "title", { id: "etude-title" });
  title.textContent = "Etude, your music tutor";
  var closeButton = el("button", "close", { type: "button", "aria-label": "Close chat" });
  closeButton.textContent = "\u00d7";
  header.appendChild(title);
  header.appendChild(closeButton);

  var log = el("div", "log", {
    role: "log",
    "aria-live": "polite",
    "aria-relevant": "additions",
    "aria-label": "Conversation with Etude",
    tabindex: "0",
  });

  var form = el("form", "form", { "aria-label": "Send a message" });
  var inputLabel = el("label", "sr-only", { for: "etude-input" });
  inputLabel.textContent = "Your message to Etude";
  var input = el("textarea", "input", {
    id: "etude-input",
    rows: "1",
    placeholder: "Ask about scales, chords, rhythm\u2026",
    autocomplete: "off",
    "aria-describedby": "etude-note",
  });
  var sendButton = el("button", "send", { type: "submit" });
  sendButton.textContent = "Send";
  var recordButton = el("button", "tool record", {
    type: "button",
    "aria-pressed": "false",
    "aria-label": "Record yourself playing",
    title: "Record yourself playing",
  });
  recordButton.appendChild(icon(MIC_ICON));
  recordButton.hidden = !(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
  var uploadButton = el("button", "tool upload", {
    type: "button",
    "aria-label": "Upload a recording (audio file)",
    title: "Upload a recording (audio file)",
  });
  uploadButton.appendChild(icon(CLIP_ICON));
  var fileInput = el("input", "sr-only", { type: "file", accept: "audio/*,video/webm", tabindex: "-1" });
  form.appendChild(recordButton); // the tools first: Tab from the message goes straight to Send
  form.appendChild(uploadButton);
  form.appendChild(fileInput);
  form.appendChild(inputLabel);
  form.appendChild(input);
  form.appendChild(sendButton);
  var note = el("p", "note", { id: "etude-note", role: "status" });

  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  panel.appendChild(note);

  var launcher = el("button", "launcher", {
    type: "button",
    "aria-controls": "etude-panel",
    "aria-expanded": "false",
  });
  launcher.textContent = "Chat with Etude";

  root.appendChild(panel);
  root.appendChild(launcher);
  shadow.appendChild(root);

  /* ---------- rendering ---------- */

  // Text with **bold** spans, built node by node so nothing from the server is parsed as HTML.
  function appendRichText(parent, text) {
    var parts = String(text).split(/\*\*([^*\n][^*]*?)\*\*/);
    parts.forEach(function (part, i) {
      if (!part) {
        return;
      }
      if (i % 2 === 1) {
        var strong = document.createElement("strong");
        strong.textContent = part;
        parent.appendChild(strong);
      } else {
        parent.appendChild(document.createTextNode(part));
      }
    });
  }

  // Media URLs are resolved against the server; only http(s) URLs are ever put in the page.
  function mediaUrl(src) {
    if (typeof src !== "string" || !src) {
      return null;
    }
    try {
      var url = new URL(src, server + "/");
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function appendImage(parent, src, alt) {
    var url = mediaUrl(src);
    if (!url) {
      return;
    }
    var img = el("img", "media", { alt: alt || "Image from Etude" });
    img.src = url;
    parent.appendChild(img);
  }

  function appendAttachment(parent, attachment) {
    var payload = (attachment && attachment.payload) || {};
    var kind = attachment && attachment.type;
    var caption = typeof payload.title === "string" ? payload.title : "";
    var url = mediaUrl(payload.src || payload.url);
    if (!url) {
      return;
    }
    if (kind === "image") {
      appendImage(parent, url, caption);
      return;
    }
    var figure = el("figure", "figure");
    if (kind === "audio") {
      var audio = el("audio", "media", { controls: "", preload: "metadata" });
      if (caption) {
        audio.setAttribute("aria-label", caption);
      }
      audio.src = url;
      figure.appendChild(audio);
    } else {
      var link = el("a", "media", { href: url, target: "_blank", rel: "noopener noreferrer" });
      link.textContent = caption || "Open attachment";
      figure.appendChild(link);
      caption = "";
    }
    if (caption) {
      var figcaption = el("figcaption", "caption");
      figcaption.textContent = caption;
      figure.appendChild(figcaption);
    }
    parent.appendChild(figure);
  }

  function renderEntry(entry) {
    var bubble = el("div", "msg " + entry.from);
    var who = el("span", "sr-only");
    who.textContent = entry.from === "user" ? "You: " : "Etude: ";
    bubble.appendChild(who);
    if (entry.text) {
      if (entry.from === "bot") {
        appendRichText(bubble, entry.text);
      } else {
        bubble.appendChild(document.createTextNode(entry.text));
      }
    }
    if (entry.image) {
      appendImage(bubble, entry.image);
    }
    if (entry.attachment) {
      appendAttachment(bubble, entry.attachment);
    }
    if (Array.isArray(entry.verdicts) && entry.verdicts.length) {
      appendVerdicts(bubble, entry.verdicts);
    }
    if (Array.isArray(entry.buttons) && entry.buttons.length) {
      var group = el("div", "buttons", { role: "group", "aria-label": "Suggested replies" });
      entry.buttons.forEach(function (button, index) {
        var choice = el("button", "choice", { type: "button" });
        choice.textContent = String(button.title || button.payload || "");
        choice.addEventListener("click", function () {
          if (entry.used || busy) {
            return;
          }
          send(String(button.payload || button.title || ""), String(button.title || button.payload || ""), {
            entry: entry,
            index: index,
          });
        });
        group.appendChild(choice);
      });
      bubble.appendChild(group);
      buttonGroups.push({ entry: entry, node: group });
    }
    log.appendChild(bubble);
    return bubble;
  }

  var SYMBOLS = { ok: "\u2713", wrong_note: "\u2717", out_of_tune: "\u00b1", missing: "\u2014", early: "\u2190",
    late: "\u2192" };
  var WORDS = { ok: "right", wrong_note: "wrong note", out_of_tune: "out of tune", missing: "missing",
    early: "early", late: "late" };

  // One chip per target note: its name and what happened to it (colour, symbol and words).
  function appendVerdicts(parent, verdicts) {
    var list = el("ol", "notes", { "aria-label": "How each note went" });
    verdicts.forEach(function (v) {
      var kind = Object.prototype.hasOwnProperty.call(WORDS, v.verdict) ? v.verdict : "ok";
      var words = WORDS[kind];
      if (kind === "wrong_note" && v.played) {
        words += ": you played " + v.played;
      } else if (kind === "out_of_tune" && typeof v.cents === "number") {
        words += ": " + Math.abs(Math.round(v.cents)) + " cents " + (v.cents < 0 ? "flat" : "sharp");
      }
      var chip = el("li", "verdict " + kind, { title: words });
      chip.textContent = String(v.expected || "?") + " " + SYMBOLS[kind];
      var spoken = el("span", "sr-only");
      spoken.textContent = " (" + words + ")";
      chip.appendChild(spoken);
      list.appendChild(chip);
    });
    parent.appendChild(list);
  }

  var buttonGroups = [];
  var busy = false;

  function refreshButtons() {
    buttonGroups = buttonGroups.filter(function (group) {
      return log.contains(group.node); // still in the transcript, not trimmed away
    });
    buttonGroups.forEach(function (group) {
      Array.prototype.forEach.call(group.node.children, function (choice, index) {
        choice.disabled = Boolean(group.entry.used) || busy;
        choice.classList.toggle("chosen", group.entry.chosen === index);
      });
    });
    sendButton.disabled = busy;
    uploadButton.disabled = busy || recording !== null;
    recordButton.disabled = busy;
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function botEntry(message) {
    // Keep only what we know how to render, so stored transcripts stay small and predictable.
    var entry = { from: "bot" };
    if (typeof message.text === "string") {
      entry.text = message.text;
    }
    if (Array.isArray(message.buttons)) {
      entry.buttons = message.buttons
        .filter(function (b) {
          return b && (typeof b.title === "string" || typeof b.payload === "string");
        })
        .map(function (b) {
          return { title: b.title, payload: b.payload };
        });
    }
    if (typeof message.image === "string") {
      entry.image = message.image;
    }
    if (message.attachment && typeof message.attachment === "object") {
      entry.attachment = message.attachment;
    }
    var practice = message.custom && message.custom.practice;
    if (practice && Array.isArray(practice.notes)) {
      entry.verdicts = practice.notes.map(function (n) {
        return { expected: n && n.expected, played: n && n.played, verdict: n && n.verdict, cents: n && n.cents };
      });
    }
    return entry.text || (entry.buttons && entry.buttons.length) || entry.image || entry.attachment
      ? entry
      : null;
  }

  /* ---------- sending ---------- */

  var typing = null;
  var errorBubble = null;

  function showTyping() {
    typing = el("div", "msg bot typing", { role: "status", "aria-label": "Etude is typing" });
    for (var i = 0; i < 3; i++) {
      typing.appendChild(el("span", "dot", { "aria-hidden": "true" }));
    }
    log.appendChild(typing);
    scrollToEnd();
  }

  function hideTyping() {
    if (typing) {
      typing.remove();
      typing = null;
    }
  }

  function showError(message) {
    errorBubble = el("div", "msg error", { role: "alert" });
    errorBubble.textContent = message;
    log.appendChild(errorBubble);
    scrollToEnd();
  }

  function clearError() {
    if (errorBubble) {
      errorBubble.remove();
      errorBubble = null;
    }
  }

  function requestBody(message) {
    return JSON.stringify({ message: message, metadata: { channel: "web" } });
  }

  function overLimit(message) {
    return encoder.encode(requestBody(message)).length > MAX_BODY_BYTES;
  }

  function checkLength() {
    if (overLimit(input.value)) {
      note.textContent = "That message is too long for Etude to read at once. Please shorten it or split it in two.";
      input.setAttribute("aria-invalid", "true");
      return false;
    }
    note.textContent = "";
    input.removeAttribute("aria-invalid");
    return true;
  }

  function errorText(response, data, recording) {
    var detail = data && typeof data.error === "string" ? data.error : "";
    if (response.status === 413) {
      return recording
        ? "That recording is too large for Etude. Please keep it under a minute."
        : "That message is too long for Etude to read. Please shorten it and try again.";
    }
    if (response.status >= 400 && response.status < 500) {
      return "Etude couldn't accept that message" + (detail ? ": " + detail : ".");
    }
    return "Etude ran into a problem (HTTP " + response.status + "). Please try again in a moment.";
  }

  // message: what the server gets; shown: what the learner's bubble says (a button's title).
  function send(message, shown, choice) {
    if (busy || !message.trim()) {
      return;
    }
    if (overLimit(message)) {
      checkLength();
      return;
    }
    var typed = !choice;
    if (typed) {
      input.value = "";
      checkLength();
    }
    deliver(
      {
        url: server + "/webhooks/rest/webhook",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: requestBody(message),
      },
      { from: "user", text: shown },
      {
        choice: choice,
        typed: typed,
        restore: function () {
          if (typed && !input.value) {
            input.value = message; // keep the learner's words so retrying is one keypress
          }
        },
      }
    );
  }

  // A recording of the practice target: the audio itself is the request body.
  function sendRecording(blob, label) {
    if (busy) {
      return;
    }
    clearError();
    if (!blob || !blob.size) {
      showError("That recording is empty. Please try again.");
      return;
    }
    if (blob.size > MAX_RECORDING_BYTES) {
      showError("That recording is too large to send (over 10 MB). Please keep it under a minute.");
      return;
    }
    var query = "?channel=web";
    deliver(
      {
        url: server + "/webhooks/rest/recording" + query,
        headers: { "Content-Type": blob.type || "application/octet-stream", Accept: "application/json" },
        body: blob,
      },
      { from: "user", text: "\ud83c\udfa4 " + label },
      { recording: true }
    );
  }

  function deliver(request, userEntry, options) {
    clearError();
    var userBubble = renderEntry(userEntry);
    busy = true;
    refreshButtons();
    showTyping();

    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = setTimeout(function () {
      if (controller) {
        controller.abort();
      }
    }, TIMEOUT_MS);

    fetch(request.url, {
      method: "POST",
      credentials: "include", // the learner cookie, also when the page is on another (listed) site
      headers: request.headers,
      body: request.body,
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return null;
          })
          .then(function (data) {
            if (!response.ok) {
              throw new Error(errorText(response, data, options.recording));
            }
            if (!Array.isArray(data)) {
              throw new Error("Etude sent a reply this chat can't read. Please try again.");
            }
            return data;
          });
      })
      .then(function (replies) {
        // Once the learner has answered, earlier suggestions are history: disable them.
        state.messages.forEach(function (entry) {
          if (entry.buttons && entry.buttons.length) {
            entry.used = true;
          }
        });
        if (options.choice) {
          options.choice.entry.chosen = options.choice.index;
        }
        state.messages.push(userEntry);
        hideTyping();
        replies.forEach(function (reply) {
          var entry = reply && typeof reply === "object" ? botEntry(reply) : null;
          if (entry) {
            state.messages.push(entry);
            renderEntry(entry);
          }
        });
        saveState();
      })
      .catch(function (error) {
        hideTyping();
        userBubble.remove();
        if (options.restore) {
          options.restore();
        }
        var text =
          error && error.name === "AbortError"
            ? "Etude took too long to answer. Please try again."
            : error instanceof TypeError
              ? "Couldn't reach Etude. Check your connection and try again."
              : (error && error.message) || "Something went wrong. Please try again.";
        showError(text);
      })
      .then(function () {
        clearTimeout(timer);
        busy = false;
        refreshButtons();
        scrollToEnd();
        if (options.typed && !panel.hidden) {
          input.focus();
        }
      });
  }

  /* ---------- recording ---------- */

  var recording = null; // { recorder, stream, chunks, started, timer } while the microphone is on

  function startRecording() {
    clearError();
    navigator.mediaDevices
      .getUserMedia({ audio: true })
      .then(function (stream) {
        var recorder = new MediaRecorder(stream);
        recording = { recorder: recorder, stream: stream, chunks: [], started: Date.now(), timer: null };
        recorder.addEventListener("dataavailable", function (event) {
          if (recording && event.data && event.data.size) {
            recording.chunks.push(event.data);
          }
        });
        recorder.addEventListener("stop", function () {
          var done = recording;
          recording = null;
          clearTimeout(done.timer);
          done.stream.getTracks().forEach(function (track) {
            track.stop();
          });
          recordButton.setAttribute("aria-pressed", "false");
          recordButton.setAttribute("aria-label", "Record yourself playing");
          refreshButtons();
          var seconds = Math.max(1, Math.round((Date.now() - done.started) / 1000));
          sendRecording(new Blob(done.chunks, { type: recorder.mimeType || "audio/webm" }),
            "my recording (" + seconds + " s)");
        });
        recording.timer = setTimeout(stopRecording, MAX_RECORDING_MS);
        recorder.start();
        recordButton.setAttribute("aria-pressed", "true");
        recordButton.setAttribute("aria-label", "Stop recording and send");
        refreshButtons();
      })
      .catch(function () {
        showError("Etude can't use your microphone. Allow it in the browser, or send an audio file instead.");
      });
  }

  function stopRecording() {
    if (recording && recording.recorder.state !== "inactive") {
      recording.recorder.stop();
    }
  }

  recordButton.addEventListener("click", function () {
    if (recording) {
      stopRecording();
    } else if (!busy) {
      startRecording();
    }
  });
  uploadButton.addEventListener("click", function () {
    fileInput.click();
  });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) {
      sendRecording(file, file.name);
    }
  });

  /* ---------- opening, closing, keyboard ---------- */

  function setOpen(open, moveFocus) {
    panel.hidden = !open;
    launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      scrollToEnd();
      if (moveFocus) {
        input.focus();
      }
    } else if (moveFocus) {
      launcher.focus();
    }
  }

  launcher.addEventListener("click", function () {
    setOpen(panel.hidden, true);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false, true);
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      setOpen(false, true);
    }
  });
  input.addEventListener("keydown", function (event) {
    // Enter sends; Shift+Enter makes a new line; keep IME composition intact.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send(input.value.trim(), input.value.trim());
    }
  });
  input.addEventListener("input", checkLength);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value.trim(), input.value.trim());
  });

  /* ---------- start ---------- */

  state.messages.forEach(renderEntry);
  refreshButtons();

  function mount() {
    document.body.appendChild(host);
    setOpen(startOpen, false);
  }

  if (document.body) {
    mount();
  } else {
    document.addEventListener("DOMContentLoaded", mount);
  }
})();
