// Record page: deep-zoom scan with field boxes, and keyboard-only review.
// Enter while an input method is composing (compositionstart..compositionend, or
// keyCode 229) only commits the characters: it never saves.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("record-data").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var inputs = Array.prototype.slice.call(document.querySelectorAll("#fields input"));
  var composing = false;
  // the fields form is never submitted (Enter saves one field through fetch); a
  // listener, not an inline onsubmit, because the CSP forbids inline handlers
  var form = document.getElementById("fields");
  if (form) form.addEventListener("submit", function (e) { e.preventDefault(); });
  var busy = false;
  var overlays = {};
  var viewer = null;

  function $(id) { return document.getElementById(id); }
  function esc(s) { return String(s == null ? "∅" : s).replace(/[&<>"]/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]; }); }
  function say(text) { var m = $("msg"); m.textContent = text; m.hidden = !text; }

  // ---- scan viewer -------------------------------------------------------
  if (window.OpenSeadragon && $("viewer")) {
    viewer = OpenSeadragon({
      element: $("viewer"), prefixUrl: "/static/vendor/openseadragon/images/",
      tileSources: data.info, showNavigator: true, keyboardShortcutsEnabled: false,
      gestureSettingsMouse: {clickToZoom: false}, crossOriginPolicy: false
    });
    viewer.addHandler("open", function () {
      var item = viewer.world.getItemAt(0), size = item.getContentSize();
      data.fields.forEach(function (f) {
        if (!f.bbox) return;
        var el = document.createElement("div");
        el.className = "box" + (f.review ? " review" : "");
        el.dataset.key = f.key;
        el.title = f.key;
        var r = item.imageToViewportRectangle(f.bbox[0] * size.x, f.bbox[1] * size.y,
          (f.bbox[2] - f.bbox[0]) * size.x, (f.bbox[3] - f.bbox[1]) * size.y);
        viewer.addOverlay({element: el, location: r});
        overlays[f.key] = r;
      });
      if (document.activeElement && document.activeElement.name) show(document.activeElement.name);
    });
  }

  function show(key) {
    document.querySelectorAll(".box.current").forEach(function (b) { b.classList.remove("current"); });
    var box = document.querySelector('.box[data-key="' + key + '"]');
    if (box) box.classList.add("current");
    var r = overlays[key];
    if (viewer && r) {
      // some lines of context above and below, and the label to the left; a wide
      // box (a whole cell) must not zoom out to the whole page
      var padY = r.height * 3, padX = Math.max(r.width * 0.35, r.height * 6);
      viewer.viewport.fitBoundsWithConstraints(
        new OpenSeadragon.Rect(r.x - padX, r.y - padY, r.width + 2 * padX, r.height + 2 * padY));
    }
  }

  // ---- saving --------------------------------------------------------------
  function post(url, body) {
    return fetch(url, {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body)}).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) { return {status: r.status, body: j}; });
      });
  }

  function conflict(body) {
    var c = $("conflict");
    var items = (body.changes || []).map(function (x) {
      return "<li>" + esc(x.actor) + " " + esc(x.at) + ": " + esc(x.key) + " " + esc(x.old) + " → " + esc(x.new) + "</li>";
    }).join("");
    c.innerHTML = "<b>冲突 / Conflict:</b> " + esc(body.detail) + "<ul>" + items + "</ul>" +
      '<a href="' + location.pathname + location.search + '">重新载入 / reload</a>';
    c.hidden = false;
  }

  function applied(body) {
    data.version = body.version; data.seen = body.seen;
    $("version").textContent = body.version;
    document.querySelectorAll('form input[name="version"]').forEach(function (i) { i.value = body.version; });
    document.querySelectorAll('form input[name="seen"]').forEach(function (i) { i.value = body.seen; });
  }

  function accept(input) {
    if (busy || input.readOnly) return Promise.resolve(false);
    busy = true; say("");
    var key = input.name;
    return post("/api/records/" + data.id + "/fields/" + encodeURIComponent(key),
      {value: input.value, version: data.version, seen: data.seen}).then(function (res) {
        busy = false;
        if (res.status === 200) {
          applied(res.body);
          input.dataset.saved = input.value;
          var row = input.closest(".field");
          row.classList.remove("review"); row.classList.add("accepted");
          var reasons = row.querySelector(".reasons"); if (reasons) reasons.remove();
          row.querySelector(".canon").textContent = res.body.value == null ? "∅" : res.body.value;
          var box = document.querySelector('.box[data-key="' + key + '"]');
          if (box) box.classList.remove("review");
          return true;
        }
        if (res.status === 409) conflict(res.body);
        else say(res.body.detail || ("error " + res.status));
        return false;
      }, function (e) { busy = false; say("网络错误 / network error: " + e); return false; });
  }

  function move(input, step) {
    var i = inputs.indexOf(input) + step;
    if (i >= 0 && i < inputs.length) inputs[i].focus();
  }

  function setStatus(action) {
    if (busy || !data.editable) return;
    busy = true; say("");
    post("/api/records/" + data.id + "/" + action, {version: data.version, seen: data.seen}).then(function (res) {
      busy = false;
      if (res.status === 200) {
        applied(res.body);
        $("status").textContent = action === "approve" ? "已审核" : "已驳回";
        location.href = "/review/next?after=" + data.id + (data.qs ? "&" + data.qs : "");
      } else if (res.status === 409) conflict(res.body);
      else say(res.body.detail || ("error " + res.status));
    }, function (e) { busy = false; say("网络错误 / network error: " + e); });
  }

  function toggleHelp(open) {
    var h = $("help");
    h.hidden = open === undefined ? !h.hidden : !open;
    if (!h.hidden) h.focus();
  }

  // ---- keyboard --------------------------------------------------------------
  inputs.forEach(function (input) {
    input.addEventListener("compositionstart", function () { composing = true; });
    input.addEventListener("compositionend", function () {
      // keydown(Enter) that ends a composition can arrive before or after this event
      setTimeout(function () { composing = false; }, 0);
    });
    input.addEventListener("focus", function () { show(input.name); input.select(); });
    input.addEventListener("keydown", function (e) {
      if (e.isComposing || composing || e.keyCode === 229) return;  // IME owns the key
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        var pending = input.value !== input.dataset.saved || input.closest(".field").classList.contains("review");
        (pending ? accept(input) : Promise.resolve(true)).then(function (ok) { if (ok) setStatus("approve"); });
      } else if (e.key === "Enter") {
        e.preventDefault();
        accept(input).then(function (ok) { if (ok) move(input, 1); });
      } else if (e.key === "ArrowDown") { e.preventDefault(); move(input, 1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); move(input, -1); }
      else if (e.key === "Escape") { e.preventDefault(); input.blur(); }
    });
  });

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
    if (e.key === "Escape" && !$("help").hidden) { toggleHelp(false); return; }
    if (typing || e.altKey || e.isComposing) return;
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); setStatus("approve"); return; }
    if (e.ctrlKey || e.metaKey) return;
    if (e.key === "?") { e.preventDefault(); toggleHelp(); }
    else if (e.key === "a") { e.preventDefault(); setStatus("approve"); }
    else if (e.key === "r") { e.preventDefault(); setStatus("reject"); }
    else if (e.key === "n") { e.preventDefault(); location.href = "/review/next?after=" + data.id + (data.qs ? "&" + data.qs : ""); }
    else if (e.key === "j" && inputs[0]) { e.preventDefault(); inputs[0].focus(); }
    else if (e.key === "s") { e.preventDefault(); openStructure('#split-form input[type="checkbox"]'); }
    else if (e.key === "m") { e.preventDefault(); openStructure("#merge-with"); }
  });

  // split / merge live in the "structure" panel: open it and put the focus there
  function openStructure(selector) {
    var panel = $("structure"), target = document.querySelector(selector);
    if (!panel) return;
    panel.open = true;
    if (target) { target.focus(); target.scrollIntoView({block: "nearest"}); }
    else say(selector === "#merge-with" ? "本页和下一页没有可合并的同类记录" : "");
  }

  // Enter on a field's checkbox splits; Enter on the record list opens the merge preview
  var splitForm = $("split-form"), mergeForm = $("merge-form");
  if (splitForm) splitForm.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.isComposing && e.target.type === "checkbox") {
      e.preventDefault();
      if (!splitForm.querySelector('input[type="checkbox"]:checked')) { say("先用空格勾选要移到新记录的字段"); return; }
      splitForm.requestSubmit();
    }
  });
  if (mergeForm) mergeForm.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.tagName === "SELECT") { e.preventDefault(); mergeForm.requestSubmit(); }
  });

  var btn = function (id, fn) { var b = $(id); if (b) b.addEventListener("click", fn); };
  btn("approve", function () { setStatus("approve"); });
  btn("reject", function () { setStatus("reject"); });
  btn("show-help", function () { toggleHelp(); });

  if (data.editable) {
    var first = inputs.filter(function (i) { return i.closest(".field").classList.contains("review"); })[0] || inputs[0];
    if (first) first.focus();
  }
})();
