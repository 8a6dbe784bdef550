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

function focusFirstInvalid(root) {
  const invalid = root.querySelector("[aria-invalid=true]");
  if (invalid) {
    invalid.focus();
  }
}

document.addEventListener("DOMContentLoaded", () => focusFirstInvalid(document));
document.addEventListener("htmx:afterSwap", (event) => focusFirstInvalid(event.detail.target));
