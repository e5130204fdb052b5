/* Evidence upload panel: drag and drop, and each file sent on its own with its progress.
   Without this script the form posts as multipart and the server streams it just the same.
   Each file is the whole body of a POST to the page's own origin (data-file-url), described by
   percent-encoded headers, with the session's CSRF token in X-CSRF-Token. Files go one after the
   other, so a slow line serves one upload at a time. */
(function () {
  "use strict";
  var form = document.getElementById("evidence-form");
  if (!form) { return; }
  var input = document.getElementById("evidence-files");
  var drop = document.getElementById("evidence-drop");
  var progress = document.getElementById("evidence-progress");
  var FIELDS = ["collected_by", "method", "tool", "tool_version", "account_or_persona", "source",
                "collected_at", "clock_source", "purpose"];

  function sizeText(bytes) {
    if (bytes >= 1048576) { return (bytes / 1048576).toFixed(1) + " MB"; }
    if (bytes >= 1024) { return (bytes / 1024).toFixed(1) + " kB"; }
    return bytes + " bytes";
  }

  function collection() {
    var values = {};
    FIELDS.forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value.trim() !== "") { values[name] = field.value.trim(); }
    });
    return values;
  }

  function row(file) {
    var item = document.createElement("li");
    var name = document.createElement("bdi");
    name.textContent = file.name;
    var bar = document.createElement("progress");
    bar.max = file.size || 1;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + file.name);
    var state = document.createElement("span");
    state.className = "upload-state";
    state.textContent = "waiting (" + sizeText(file.size) + ")";
    item.append(name, " ", bar, " ", state);
    progress.append(item);
    return { item: item, bar: bar, state: state };
  }

  function problem(xhr) {
    try {
      var body = JSON.parse(xhr.responseText);
      var details = (body.errors || []).map(function (e) { return e.message; });
      return body.detail + (details.length ? ": " + details.join("; ") : "");
    } catch (error) {
      return "the server answered " + xhr.status;
    }
  }

  function send(file, shown, described) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.dataset.fileUrl);
      xhr.setRequestHeader("X-CSRF-Token", form.dataset.csrf);
      xhr.setRequestHeader("X-Evidence-Filename", encodeURIComponent(file.name));
      xhr.setRequestHeader("X-Evidence-Collection", described);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) {
          shown.bar.max = event.total || 1;
          shown.bar.value = event.loaded;
          shown.state.textContent = Math.floor(100 * event.loaded / (event.total || 1)) + "%";
        }
      };
      xhr.onload = function () {
        if (xhr.status === 201) {
          var stored = JSON.parse(xhr.responseText);
          shown.bar.value = shown.bar.max;
          shown.state.textContent = "stored: ";
          var link = document.createElement("a");
          link.href = stored.url;
          link.textContent = "open " + file.name;
          shown.state.append(link);
          shown.item.className = "stored";
          resolve(true);
        } else {
          shown.state.textContent = "not stored: " + problem(xhr);
          shown.item.className = "refused";
          resolve(false);
        }
      };
      xhr.onerror = function () {
        shown.state.textContent = "not stored: the connection failed";
        shown.item.className = "refused";
        resolve(false);
      };
      shown.state.textContent = "sending";
      xhr.send(file);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!form.reportValidity()) { return; }
    var files = Array.prototype.slice.call(input.files);
    var described = encodeURIComponent(JSON.stringify(collection()));
    var button = form.querySelector("button[type=submit]");
    progress.replaceChildren();
    progress.hidden = false;
    button.disabled = true;
    var shown = files.map(row);
    var stored = 0;
    files.reduce(function (previous, file, index) {
      return previous.then(function () {
        return send(file, shown[index], described).then(function (ok) { if (ok) { stored += 1; } });
      });
    }, Promise.resolve()).then(function () {
      button.disabled = false;
      var done = document.createElement("li");
      done.className = "upload-done";
      done.setAttribute("role", "status");
      done.textContent = stored + " of " + files.length + " file" + (files.length === 1 ? "" : "s") +
        " stored. ";
      var again = document.createElement("a");
      again.href = window.location.pathname;
      again.textContent = "Show the list";
      done.append(again);
      progress.append(done);
      if (stored === files.length) { input.value = ""; }
    });
  });

  ["dragenter", "dragover"].forEach(function (name) {
    drop.addEventListener(name, function (event) {
      event.preventDefault();
      drop.classList.add("dragging");
    });
  });
  ["dragleave", "drop"].forEach(function (name) {
    drop.addEventListener(name, function () { drop.classList.remove("dragging"); });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
