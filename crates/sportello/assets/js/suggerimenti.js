// Suggestions as you type in the search box: a progressive enhancement. Without JavaScript the
// box is a plain GET form to /cerca and works the same; with it, a <datalist> offers the titles
// of matching pages. No third-party code, no tracking: one same-origin JSON request per pause.
(function () {
  "use strict";
  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    var timer = null;
    var last = "";
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        if (q.length < 2 || q === last) return;
        last = q;
        fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" },
          credentials: "same-origin"
        })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (items) {
            while (list.firstChild) list.removeChild(list.firstChild);
            items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = item.titolo;
              list.appendChild(option);
            });
          })
          .catch(function () { /* suggestions are optional */ });
      }, 200);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("input[data-suggest]"), attach);
  });
})();
