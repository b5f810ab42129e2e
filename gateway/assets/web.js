// Starts the NHS.UK design system's scripts (the header's menu, skip link focus). Pages
// work without them; the template's inline starter is replaced by this file so the
// Content-Security-Policy can refuse inline scripts.
import { initAll } from "/assets/vendor/nhsuk-frontend/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Live updates. A page that shows what others change (a session's places, an inbox)
// names on <main> what it listens for (data-live-stream: a stream prefix, data-live-types:
// event types) and marks the parts to refresh with data-live and an id. Each event the
// visitor may see brings the page again from the server and those parts are replaced, so
// the server renders them as it did the first time; without JavaScript the page is the
// same, only not live. The socket is opened with the session's cookie: no token is ever
// handed to a script.
const main = document.getElementById("maincontent");
const stream = main?.dataset.liveStream;
const types = main?.dataset.liveTypes;
if (main && (stream || types) && "WebSocket" in window) {
  listen(stream ?? null, types ? types.split(",") : null);
}

function listen(streamPrefix, eventTypes) {
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`;
  let wait = 1000;
  let timer;
  const connect = () => {
    const socket = new WebSocket(url, "graphql-transport-ws");
    socket.onopen = () => socket.send(JSON.stringify({ type: "connection_init", payload: {} }));
    socket.onmessage = (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "connection_ack") {
        wait = 1000;
        socket.send(JSON.stringify({
          id: "live",
          type: "subscribe",
          payload: {
            query: "subscription Live($filter: EventFilter) { events(filter: $filter) { position } }",
            variables: { filter: { streamPrefix, eventTypes } },
          },
        }));
        document.body.dataset.live = "listening";
      } else if (data.type === "next") {
        // A burst of events (a booking promotes the waitlist) brings the page once.
        clearTimeout(timer);
        timer = setTimeout(refresh, 150);
      } else if (data.type === "ping") {
        socket.send(JSON.stringify({ type: "pong" }));
      }
    };
    socket.onclose = (event) => {
      document.body.dataset.live = "closed";
      // 4400 and 4401: refused for good (signed out); anything else: try again, slower.
      if (event.code !== 4400 && event.code !== 4401) {
        setTimeout(connect, wait);
        wait = Math.min(wait * 2, 30000);
      }
    };
  };
  connect();
}

async function refresh() {
  const response = await fetch(location.href, { credentials: "same-origin" });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const part of document.querySelectorAll("[data-live][id]")) {
    const next = fresh.getElementById(part.id);
    if (next && next.innerHTML !== part.innerHTML) part.innerHTML = next.innerHTML;
  }
  document.body.dataset.liveRefreshed = String(Number(document.body.dataset.liveRefreshed ?? 0) + 1);
}
