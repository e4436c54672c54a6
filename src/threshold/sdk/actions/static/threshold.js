// Threshold server actions: post [data-th-action] forms with fetch and show the result
// in place. Without this script the same forms work as plain posts (303 + flash).
(() => {
  "use strict";
  const show = (form, reply) => {
    const message = form.querySelector("[data-th-message]");
    if (message) {
      message.textContent = reply.ok ? (typeof reply.data === "string" ? reply.data : "") : reply.error.message;
      message.dataset.thStatus = reply.ok ? "ok" : "error";
    }
    const fields = (reply.error && reply.error.fields) || {};
    form.querySelectorAll("[data-th-error]").forEach((el) => {
      el.textContent = fields[el.dataset.thError] || "";
    });
    form.dispatchEvent(new CustomEvent("threshold:result", { detail: reply, bubbles: true }));
  };
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-th-action")) return;
    event.preventDefault();
    const body = new FormData(form, event.submitter || undefined);
    const buttons = form.querySelectorAll("button, input[type=submit]");
    buttons.forEach((b) => { b.disabled = true; });
    form.setAttribute("aria-busy", "true");
    let reply = null;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "Threshold-Action": "1" },
      });
      if ((response.headers.get("content-type") || "").startsWith("application/json")) {
        reply = await response.json();
      }
    } catch (error) {
      reply = null;
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      form.removeAttribute("aria-busy");
    }
    if (reply === null) {
      form.removeAttribute("data-th-action");
      form.submit();
      return;
    }
    if (reply.redirect) {
      window.location.assign(reply.redirect);
      return;
    }
    show(form, reply);
    if (reply.ok) form.reset();
  });
})();
