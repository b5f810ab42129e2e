// Starts GraphiQL on the vendored React and GraphiQL builds. A file of its own, not an
// inline script, so the page's Content-Security-Policy can refuse every inline script.
(function () {
  "use strict";
  var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
  var fetcher = GraphiQL.createFetcher({
    url: "/graphql",
    subscriptionUrl: scheme + "//" + window.location.host + "/graphql/ws",
  });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      // Signed in to the web app, the session is the caller; a program's token can
      // be put under Headers instead.
      defaultEditorToolsVisibility: true,
    })
  );
})();
