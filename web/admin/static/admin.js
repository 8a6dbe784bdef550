// The admin UI's own script. Every page works without it; it adds copy
// buttons and moves focus to the first invalid field after a submission.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) {
    return;
  }
  const input = document.getElementById(button.dataset.copy);
  if (!input) {
    return;
  }
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  // The Clipboard API exists only in secure contexts (HTTPS or
  // localhost); elsewhere the text is selected for Ctrl+C.
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(input.value).then(done, () => input.select());
  } else {
    input.select();
  }
});

// focusFirstInvalid focuses the first invalid field and reports whether
// there was one.
function focusFirstInvalid() {
  const invalid = document.querySelector("[aria-invalid=true]");
  if (invalid) {
    invalid.focus();
  }
  return Boolean(invalid);
}

document.addEventListener("DOMContentLoaded", focusFirstInvalid);

// After htmx swaps in a result (a mapping preview, a routing test or a
// connection test), the result is scrolled into view, unless a field is
// invalid, which gets the focus instead.
document.addEventListener("htmx:afterSettle", () => {
  if (focusFirstInvalid()) {
    return;
  }
  const result = document.querySelector("#preview, #test-result h3, #crm-test-result, .failure");
  if (result) {
    result.scrollIntoView({ block: "start" });
  }
});

// A notice such as "Saved." confirms the request that led to the page. The
// ?notice= parameter is dropped from the address, so a reload does not
// show it again, and any notice is removed when a later htmx request
// starts, so it never seems to confirm that one.
document.addEventListener("DOMContentLoaded", () => {
  const url = new URL(window.location.href);
  if (url.searchParams.has("notice")) {
    url.searchParams.delete("notice");
    window.history.replaceState(window.history.state, "", url);
  }
});

document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.target.closest("#sync-card")) {
    return; // the sync card's reloads replace the notice themselves
  }
  for (const notice of document.querySelectorAll("main > .notice")) {
    notice.remove();
  }
});
