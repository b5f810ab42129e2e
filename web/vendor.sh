#!/usr/bin/env bash
# Fetches the browser packages pinned in web/vendor.lock from the npm registry and copies
# the files difacto serves into gateway/assets/vendor/<package>/. Idempotent: each
# package's folder is rebuilt from its tarball, so running it twice changes nothing.
# Nothing is fetched at build or run time: the result is committed and embedded.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../gateway/assets/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The files served from each package (paths inside the tarball's `package/`), as
# `source destination` pairs: minified builds and licences only, no source maps.
files_of() {
  case "$1" in
    nhsuk-frontend) cat <<'LIST'
dist/nhsuk/nhsuk-frontend.min.css nhsuk-frontend.min.css
dist/nhsuk/nhsuk-frontend.min.js nhsuk-frontend.min.js
dist/nhsuk/assets/images/favicon.ico images/favicon.ico
dist/nhsuk/assets/images/favicon.svg images/favicon.svg
dist/nhsuk/assets/images/nhsuk-icon-arrow-down.svg images/nhsuk-icon-arrow-down.svg
dist/nhsuk/assets/images/nhsuk-icon-arrow-up.svg images/nhsuk-icon-arrow-up.svg
dist/nhsuk/assets/images/nhsuk-icon-arrow-up-down.svg images/nhsuk-icon-arrow-up-down.svg
dist/nhsuk/assets/images/nhsuk-icon-cross.svg images/nhsuk-icon-cross.svg
LIST
    ;;
    graphiql) cat <<'LIST'
graphiql.min.css graphiql.min.css
graphiql.min.js graphiql.min.js
LICENSE LICENSE
LIST
    ;;
    react) cat <<'LIST'
umd/react.production.min.js react.production.min.js
LICENSE LICENSE
LIST
    ;;
    react-dom) cat <<'LIST'
umd/react-dom.production.min.js react-dom.production.min.js
LICENSE LICENSE
LIST
    ;;
    axe-core) cat <<'LIST'
axe.min.js axe.min.js
LICENSE LICENSE
LIST
    ;;
    *) echo "web/vendor.lock: no file list for package $1 in web/vendor.sh" >&2; exit 1 ;;
  esac
}

# What changes in the files as shipped.
# nhsuk-frontend's CSS loads the Frutiger font from assets.nhs.uk (licensed, not in the
# package) and its icons from /assets/images/. NHS networks and difacto's rule of one
# origin allow neither, so the @font-face rules go (the font stack falls back to Arial,
# as the design system intends when the font is missing) and the icons point here.
postprocess() {
  case "$1" in
    graphiql)
      # GraphiQL's CSS inlines its Roboto and Fira Code fonts, 266 KB that do not
      # compress. Its font stacks fall back to sans-serif and monospace, so the rules go
      # and the page weighs 60% less.
      perl -0pi -e 's/\@font-face\{[^}]*url\(data:font[^}]*\}//g' "$2/graphiql.min.css"
      ;;
    nhsuk-frontend)
      perl -0pi -e 's/\@font-face\{[^}]*assets\.nhs\.uk[^}]*\}//g; s{url\(/assets/images/}{url(/assets/vendor/nhsuk-frontend/images/}g' \
        "$2/nhsuk-frontend.min.css"
      # The package ships no LICENSE file; its README states MIT.
      {
        echo "nhsuk-frontend $3 is released under the MIT Licence (package.json \"license\": \"MIT\"; README, Licence):"
        echo
        awk '/^## Licence/{p=1;next} /^## /{p=0} p' "$4/README.md"
      } >"$2/LICENSE"
      ;;
  esac
}

status=0
while read -r name version licence integrity; do
  [[ -z "$name" || "$name" == \#* ]] && continue
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  tarball="$work/$name-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$tarball" | base64 -w0)"
  if [[ "$integrity" == "-" ]]; then
    echo "$name $version: not pinned; its integrity is $actual" >&2
    status=1
  elif [[ "$integrity" != "$actual" ]]; then
    echo "$name $version: the tarball's integrity $actual is not the pinned $integrity" >&2
    exit 1
  fi
  declared="$(tar -xzOf "$tarball" package/package.json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).license))')"
  if [[ "$declared" != "$licence" ]]; then
    echo "$name $version: its licence is $declared, not the pinned $licence" >&2
    exit 1
  fi
  unpacked="$work/$name"
  mkdir -p "$unpacked" && tar -xzf "$tarball" -C "$unpacked"
  dest="$out/$name"
  rm -rf "$dest"
  while read -r source target; do
    mkdir -p "$(dirname "$dest/$target")"
    cp "$unpacked/package/$source" "$dest/$target"
  done < <(files_of "$name")
  # Source maps are not shipped, so the comments pointing at them go too.
  find "$dest" \( -name '*.js' -o -name '*.css' \) -print0 |
    xargs -0 perl -pi -e 's{(//# sourceMappingURL=\S+|/\*# sourceMappingURL=\S+ ?\*/)}{}g'
  postprocess "$name" "$dest" "$version" "$unpacked/package"
  echo "$name $version ($licence) -> gateway/assets/vendor/$name"
done <"$here/vendor.lock"
exit "$status"
