// The test app's only code: load clerk-js with the UI bundle, then mount one component,
// as an app that uses clerk-js without a framework SDK does. The tests read
// window.__harness to know when Clerk.load settled and how.
(async () => {
  const state = (window.__harness = { loaded: false, error: null });
  const config = JSON.parse(document.getElementById("harness-config").textContent);
  const mounts = {
    "sign-in": "mountSignIn",
    "sign-up": "mountSignUp",
    "user-button": "mountUserButton",
    "user-profile": "mountUserProfile",
  };
  try {
    await window.Clerk.load({
      ui: { ClerkUI: window.__internal_ClerkUICtor },
      signInUrl: "/sign-in",
      signUpUrl: "/sign-up",
      ...config.loadOptions,
    });
    state.loaded = true;
    const method = mounts[config.component];
    if (method) {
      window.Clerk[method](document.getElementById("app"), config.props || {});
    }
  } catch (error) {
    state.error = String((error && error.stack) || error);
    console.error("harness: " + state.error);
  }
})();
