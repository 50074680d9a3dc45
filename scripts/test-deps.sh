#!/usr/bin/env bash
# Prerequisites of the browser tests, checked before every `make test`: Debian's Chromium and Korean fonts
# (Playwright cannot download its own browser here), and axe-core from the npm registry.
# Idempotent and quick when everything is already in place: it only looks at files until something is missing.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin  # ldconfig
cd "$(dirname "$0")/.."

E2E=tests/e2e
missing=()
[[ -x ${DOLBOM_CHROMIUM:-/usr/bin/chromium} ]] || missing+=(chromium)
# Without a CJK font every Hangul glyph renders as an empty box, which makes screenshots useless.
compgen -G "/usr/share/fonts/opentype/noto/NotoSansCJK-*" >/dev/null || missing+=(fonts-noto-cjk)
# Spark (the scale-out engine of the screening round) runs on the JVM, also in its local-mode tests.
command -v java >/dev/null || missing+=(default-jre-headless)
# LightGBM's wheel links GCC's OpenMP runtime, which a minimal Debian does not have.
ldconfig -p | grep -q 'libgomp\.so\.1' || missing+=(libgomp1)

if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "test-deps: installing ${missing[*]} from Debian …"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "test-deps: missing ${missing[*]}; install with: sudo apt-get install ${missing[*]}" >&2
        echo "test-deps: browser tests will skip (and fail when CI=true) until then." >&2
    fi
fi

# axe-core is pinned by the committed package-lock.json; reinstall only when the lock file changed.
stamp=$E2E/node_modules/.installed-lock
if ! cmp -s "$E2E/package-lock.json" "$stamp" || [[ ! -f $E2E/node_modules/axe-core/axe.min.js ]]; then
    if command -v npm >/dev/null; then
        echo "test-deps: installing axe-core into $E2E/node_modules …"
        npm ci --prefix "$E2E" --no-audit --no-fund --loglevel=error
        cp "$E2E/package-lock.json" "$stamp"
    else
        echo "test-deps: npm not found, so axe-core cannot be installed; the accessibility tests will skip" \
            "(and fail when CI=true). Install Node.js and npm." >&2
    fi
fi
