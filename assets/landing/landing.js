/* landing.js: the landing page's script (served as /landing.js; the page's
 * content security policy allows no inline script).
 *
 * Builds, inside the browser, from the page's own address and its fragment
 * (the part after '#', which browsers never send to the server):
 *   - the button's link: "bilan:" followed by the whole https link
 *     (PROTOCOL.md §2.3), which the desktop entry hands to `bilan open`;
 *   - the command to copy: bilan open 'https://...#...';
 *   - for an invite, the link to join in this browser instead:
 *     /w/<token>#<fragment> (the browser client, same origin).
 * Only an address of the exact shape of our links is used (token and
 * secret are 43 base64url characters): anything else, for example a link
 * someone edited to slip a shell command into the page, gets an
 * explanation and no button or command.
 * The one request it makes is HEAD /downloads/bilan.deb (is the client
 * package there?): it carries no part of the address. */
(function () {
  "use strict";
  var B64 = "[A-Za-z0-9_-]{43}";
  var PATH = new RegExp("^/([je])/" + B64 + "$");
  var INVITE_FRAG = new RegExp("^#" + B64 + "(\\." + B64 + ")?$");
  var ENROL_FRAG = new RegExp("^(#" + B64 + ")?$");

  function byId(id) { return document.getElementById(id); }
  function show(id) { var e = byId(id); if (e) { e.hidden = false; } }
  function say(id, text) { var e = byId(id); if (e) { e.textContent = text; } }

  var loc = window.location;
  var m = PATH.exec(loc.pathname);
  var link = null;
  if (loc.protocol === "https:" && m) {
    var frag = loc.hash || "";
    if (m[1] === "j" && frag === "") {
      show("sans-secret");
    } else if ((m[1] === "j" ? INVITE_FRAG : ENROL_FRAG).test(frag)) {
      link = "https://" + loc.host + loc.pathname + frag;
    } else {
      show("lien-abime");
    }
  } else {
    show("lien-abime");
  }

  if (link) {
    var open = byId("ouvrir");
    open.href = "bilan:" + link;
    show("bloc-ouvrir");
    say("commande", "bilan open '" + link + "'");
    show("bloc-commande");
    if (m[1] === "e") {
      say("ouvrir", "Ouvrir dans l'application Bilan (inscription de cet appareil)");
    } else {
      /* The browser client: the same token under /w/, the fragment kept
       * (it stays in the browser there too). Invites only: a consultant
       * enrols with the application. */
      byId("navigateur").href = "/w/" + loc.pathname.slice(3) + frag;
      show("bloc-navigateur");
    }
  }

  var copy = byId("copier");
  if (copy) {
    copy.addEventListener("click", function () {
      var text = byId("commande").textContent;
      function done() { say("copie-etat", "La commande est copiée. Collez-la dans un terminal, puis appuyez sur Entrée."); }
      function fallback() {
        var range = document.createRange();
        range.selectNodeContents(byId("commande"));
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        var ok = false;
        try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
        if (ok) { done(); } else {
          say("copie-etat", "La copie automatique n'a pas marché : la commande est sélectionnée, copiez-la avec Ctrl+C.");
        }
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, fallback);
      } else {
        fallback();
      }
    });
  }

  /* Is the client package on this server? A plain HEAD of a fixed path. */
  if (window.fetch) {
    window.fetch("/downloads/bilan.deb", { method: "HEAD", cache: "no-store", credentials: "omit" })
      .then(function (r) {
        show(r.ok ? "bloc-telecharger" : "bloc-sans-paquet");
      }, function () { show("bloc-sans-paquet"); });
  } else {
    show("bloc-sans-paquet");
  }
})();
