// Starts the NHS.UK design system's scripts (the header's menu, skip link focus). Pages
// work without them; the template's inline starter is replaced by this file so the
// Content-Security-Policy can refuse inline scripts.
import { initAll } from "/assets/vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
