// Security keys (WebAuthn) where the browser has them. Everything else on these pages works without this script:
// the boxes it drives stay hidden when it does not run or the browser has no WebAuthn.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !window.fetch) return;
  function bytes(text) {
    var plain = text.replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(plain + "===".slice((plain.length + 3) % 4)), function (c) { return c.charCodeAt(0); });
  }
  function text(buffer) {
    var binary = "";
    new Uint8Array(buffer).forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function decoded(options) {
    options.challenge = bytes(options.challenge);
    if (options.user) options.user.id = bytes(options.user.id);
    (options.excludeCredentials || options.allowCredentials || []).forEach(function (c) { c.id = bytes(c.id); });
    return options;
  }
  function encoded(credential) {
    var r = credential.response, response = { clientDataJSON: text(r.clientDataJSON) };
    if (r.attestationObject) response.attestationObject = text(r.attestationObject);
    if (r.authenticatorData) response.authenticatorData = text(r.authenticatorData);
    if (r.signature) response.signature = text(r.signature);
    if (r.userHandle) response.userHandle = text(r.userHandle);
    return { id: credential.id, rawId: text(credential.rawId), type: credential.type, response: response,
             clientExtensionResults: credential.getClientExtensionResults() };
  }
  function post(url, csrf, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
                        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf } })
      .then(function (answer) {
        if (answer.status === 204) return null;
        return answer.json().then(function (json) {
          if (!answer.ok) throw new Error(json.detail || answer.statusText);
          return json;
        });
      });
  }
  document.querySelectorAll("[data-security-key]").forEach(function (box) {
    var purpose = box.getAttribute("data-security-key"), csrf = box.getAttribute("data-csrf");
    var status = box.querySelector("[role=status]"), label = box.querySelector("input");
    box.hidden = false;
    box.querySelector("button").addEventListener("click", function () {
      status.textContent = "";
      post("/oauth/security-keys/options", csrf, { purpose: purpose })
        .then(function (options) {
          var publicKey = decoded(options);
          return purpose === "register" ? navigator.credentials.create({ publicKey: publicKey })
                                        : navigator.credentials.get({ publicKey: publicKey });
        })
        .then(function (credential) {
          if (purpose === "register") {
            return post("/oauth/security-keys", csrf, { credential: encoded(credential), label: label ? label.value : "" })
              .then(function () { window.location.reload(); });
          }
          return post("/oauth/sign-in/security-key", csrf,
                      { credential: encoded(credential), next: window.location.pathname + window.location.search })
            .then(function (answer) { window.location.assign(answer.next); });
        })
        .catch(function (error) { status.textContent = error.message; });
    });
  });
})();
