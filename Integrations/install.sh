#!/bin/sh
# Installs visioncraft for the current user (or anywhere PREFIX says):
#
#   Integrations/install.sh [--prefix DIR] [--from BUILD_DIR]
#
#   PREFIX/bin/                         visioncraftd, vcctl, visioncraft-emulator
#   PREFIX/lib/visioncraft/plugins/     the shipped plugins (the daemon looks here,
#                                       beside PREFIX/bin/visioncraftd)
#   PREFIX/share/man/man{1,5,7,8}/      the manuals
#   PREFIX/share/bash-completion/completions/vcctl, PREFIX/share/zsh/site-functions/_vcctl,
#   PREFIX/share/fish/vendor_completions.d/vcctl.fish
#   PREFIX/share/systemd/user/          visioncraftd.socket and .service (ExecStart
#                                       pointing at PREFIX/bin), found by systemd's user
#                                       manager for PREFIX=~/.local
#   PREFIX/share/visioncraft/launchd/   the launchd agent, filled in (macOS)
#
# PREFIX defaults to $PREFIX, else ~/.local. Without --from, builds in release
# mode first. Every file is written beside its place and renamed into it: a
# running daemon keeps the code it has mapped (a plugin or binary changed in
# place with cp can crash it), and `vcctl plugins` says which loaded plugin
# files changed, to use after `vcctl daemon restart`.
set -eu
cd "$(dirname "$0")/.."

prefix="${PREFIX:-$HOME/.local}"
from=""
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) [ $# -ge 2 ] || { echo "install.sh: --prefix needs a folder" >&2; exit 64; }; prefix="$2"; shift 2 ;;
        --from) [ $# -ge 2 ] || { echo "install.sh: --from needs a build folder" >&2; exit 64; }; from="$2"; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 64 ;;
    esac
done
case "$prefix" in
    /*) ;;
    *) echo "install.sh: PREFIX must be an absolute path, got '$prefix'" >&2; exit 64 ;;
esac
if [ -z "$from" ]; then
    swift build -c release
    from="$(swift build -c release --show-bin-path)"
fi
case "$(uname -s)" in
    Darwin) library=dylib ;;
    *) library=so ;;
esac
for binary in visioncraftd vcctl visioncraft-emulator; do
    [ -x "$from/$binary" ] || { echo "install.sh: $from/$binary is missing (build first, or give --from)" >&2; exit 66; }
done

# Writes standard input, or copies $3, to $1 with mode $2 by rename.
place() {
    target="$1"; mode="$2"
    mkdir -p "$(dirname "$target")"
    temporary="$target.installing.$$"
    if [ $# -ge 3 ]; then cp "$3" "$temporary"; else cat > "$temporary"; fi
    chmod "$mode" "$temporary"
    mv -f "$temporary" "$target"
}

for binary in visioncraftd vcctl visioncraft-emulator; do
    place "$prefix/bin/$binary" 755 "$from/$binary"
done
for plugin in exec template upscale; do
    file="libvisioncraft-$plugin.$library"
    place "$prefix/lib/visioncraft/plugins/$file" 755 "$from/$file"
done
for page in man/*.[1-8]; do
    section="${page##*.}"
    place "$prefix/share/man/man$section/$(basename "$page")" 644 "$page"
done
"$prefix/bin/vcctl" completion bash | place "$prefix/share/bash-completion/completions/vcctl" 644
"$prefix/bin/vcctl" completion zsh | place "$prefix/share/zsh/site-functions/_vcctl" 644
"$prefix/bin/vcctl" completion fish | place "$prefix/share/fish/vendor_completions.d/vcctl.fish" 644
for unit in visioncraftd.socket visioncraftd.service; do
    sed -e "s|%h/.local/bin/|$prefix/bin/|g" "Integrations/systemd/$unit" | place "$prefix/share/systemd/user/$unit" 644
done
sed -e "s|@UID@|$(id -u)|g" -e "s|@BIN@|$prefix/bin|g" Integrations/launchd/io.visioncraft.visioncraftd.plist \
    | place "$prefix/share/visioncraft/launchd/io.visioncraft.visioncraftd.plist" 644

echo "installed visioncraft in $prefix"
case ":$PATH:" in
    *":$prefix/bin:"*) ;;
    *) echo "  $prefix/bin is not on PATH: add it (and man finds the manuals through it)" ;;
esac
if [ "$(uname -s)" = Darwin ]; then
    echo "  launchd: cp $prefix/share/visioncraft/launchd/io.visioncraft.visioncraftd.plist ~/Library/LaunchAgents/ && launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/io.visioncraft.visioncraftd.plist"
else
    echo "  systemd: systemctl --user daemon-reload && systemctl --user enable --now visioncraftd.socket"
fi
echo "  a daemon already running keeps its old code until: vcctl daemon restart"
