#!/usr/bin/env bash
# Package the app with `flet build`: ./build_scripts/build.sh TARGET [extra flet build options]
#   TARGET: apk | aab (Android) | ipa (iOS) | macos | windows | linux | web
# Checks this machine first and says exactly what is missing and how to get it (exit 3),
# instead of failing deep inside Flutter. The settings come from pyproject.toml [tool.flet];
# the output lands in build/TARGET. What each target needs: README "Build for tablets".
#
#   VITRINE_BUILD_DOWNLOAD=1  let flet build download what it can itself (the Flutter SDK, a
#                             JDK, the Android SDK: several GB, needs the internet)
#   VITRINE_VENV=DIR          the virtualenv whose `flet` to use (default .venv)
#   VITRINE_BUILD_WEB_STATIC=1  build `web` although the static site cannot run this app (exit 4
#                             otherwise, after the checks: the hub serves the web UI instead)
set -uo pipefail
cd "$(dirname "$0")/.."

FLUTTER_VERSION=3.44.8 # what flet 1.0.5 builds with (flet.version.flutter_version)
FLUTTER_SERIES=${FLUTTER_VERSION%.*}
JDK_MAJOR=17
ANDROID_PACKAGES=("platform-tools" "platforms;android-35" "build-tools;34.0.0")
TARGETS="apk aab ipa macos windows linux web"

usage() {
  echo "usage: $0 TARGET [flet build options]   TARGET: ${TARGETS// / | }"
  exit 2
}

target=${1:-}
[ -n "$target" ] || usage
case " $TARGETS " in *" $target "*) ;; *) echo "unknown target: $target"; usage ;; esac
shift

download=${VITRINE_BUILD_DOWNLOAD:-0}
missing=()
# need WHAT HOW: one missing prerequisite and how to get it.
need() { missing+=("$1"$'\n'"      -> $2"); }

host=$(uname -s 2>/dev/null || echo unknown)
case "$host" in
  Linux) host_name=Linux ;;
  Darwin) host_name=macOS ;;
  MINGW* | MSYS* | CYGWIN* | Windows_NT) host_name=Windows ;;
  *) host_name=$host ;;
esac

# --- flet build itself ---------------------------------------------------------------------
venv=${VITRINE_VENV:-.venv}
if [ -x "$venv/bin/flet" ]; then
  FLET="$venv/bin/flet"
elif command -v flet >/dev/null 2>&1; then
  FLET=$(command -v flet)
else
  FLET=""
  need "the flet command (flet-cli 1.0.5)" \
    "$venv/bin/pip install -e '.[build]'   (or: pip install flet-cli==1.0.5)"
fi

# --- the Flutter SDK (every target) ----------------------------------------------------------
# flet build takes `flutter` from PATH when its version is $FLUTTER_SERIES.x, else its own copy
# in ~/flutter/$FLUTTER_VERSION, else it downloads one there.
if command -v flutter >/dev/null 2>&1; then
  found=$(flutter --version 2>/dev/null | sed -n 's/^Flutter \([0-9][0-9.]*\).*/\1/p' | head -n1)
  if [ "${found%.*}" = "$FLUTTER_SERIES" ]; then
    :
  else
    need "Flutter SDK $FLUTTER_SERIES.x (the flutter on PATH is ${found:-of unknown version})" \
      "install Flutter $FLUTTER_VERSION (https://docs.flutter.dev/install/archive) and put its bin/ first on PATH"
  fi
elif [ -x "$HOME/flutter/$FLUTTER_VERSION/bin/flutter" ]; then
  : # flet build's own copy
elif [ "$download" != 1 ]; then
  need "Flutter SDK $FLUTTER_VERSION (no flutter on PATH, none in ~/flutter/$FLUTTER_VERSION)" \
    "install it (https://docs.flutter.dev/install/archive) and put its bin/ on PATH, or run with VITRINE_BUILD_DOWNLOAD=1 so flet build downloads it (~1 GB from storage.googleapis.com)"
fi

# --- the target's platform tools -------------------------------------------------------------
android_home() {
  for d in "${ANDROID_HOME:-}" "${ANDROID_SDK_ROOT:-}" "$HOME/Android/Sdk" "$HOME/Library/Android/sdk"; do
    [ -n "$d" ] && [ -d "$d" ] && { echo "$d"; return 0; }
  done
  return 1
}

jdk_major() { # the major version of the javac in $1/bin (or on PATH when $1 is empty)
  local javac=javac
  [ -n "$1" ] && javac="$1/bin/javac"
  "$javac" -version 2>&1 | sed -n 's/^javac \([0-9]*\).*/\1/p' | head -n1
}

check_android() {
  local jdk
  jdk=$(jdk_major "${JAVA_HOME:-}")
  if [ "$jdk" != "$JDK_MAJOR" ] && [ "$download" != 1 ]; then
    need "JDK $JDK_MAJOR (found: ${jdk:-none}; JAVA_HOME=${JAVA_HOME:-unset})" \
      "install a JDK $JDK_MAJOR (Debian/Ubuntu: apt install openjdk-$JDK_MAJOR-jdk-headless; macOS: brew install openjdk@$JDK_MAJOR) and set JAVA_HOME, or VITRINE_BUILD_DOWNLOAD=1"
  fi
  local sdk
  if ! sdk=$(android_home); then
    [ "$download" = 1 ] && return
    need "the Android SDK (ANDROID_HOME unset, no ~/Android/Sdk)" \
      "install Android Studio or the command-line tools (https://developer.android.com/studio#command-tools), set ANDROID_HOME, then: sdkmanager \"platform-tools\" \"platforms;android-35\" \"build-tools;34.0.0\"; or VITRINE_BUILD_DOWNLOAD=1"
    return
  fi
  if [ ! -d "$sdk/cmdline-tools" ]; then
    need "the Android SDK command-line tools in $sdk/cmdline-tools" \
      "Android Studio > SDK Manager > SDK Tools > Android SDK Command-line Tools"
  fi
  local p
  for p in "${ANDROID_PACKAGES[@]}"; do
    if [ ! -d "$sdk/${p//;//}" ]; then
      need "the Android SDK package $p (in $sdk)" "sdkmanager \"$p\""
    fi
  done
}

check_apple() {
  if [ "$host_name" != macOS ]; then
    need "a Mac: $target builds run on macOS only (this is $host_name)" \
      "run this on macOS with Xcode; Apple's toolchain exists nowhere else"
    return
  fi
  if ! command -v xcodebuild >/dev/null 2>&1 || ! xcodebuild -version >/dev/null 2>&1; then
    need "Xcode (xcodebuild)" "install Xcode from the App Store, then: sudo xcode-select -s /Applications/Xcode.app && sudo xcodebuild -runFirstLaunch"
  fi
  if [ "$target" = ipa ] && ! command -v pod >/dev/null 2>&1; then
    need "CocoaPods (pod), for the iOS plugins that still use it" "brew install cocoapods"
  fi
}

check_windows() {
  if [ "$host_name" != Windows ]; then
    need "Windows: windows builds run on Windows only (this is $host_name)" \
      "run this on Windows 10/11 (Git Bash) with Visual Studio 2022"
    return
  fi
  local vswhere="${ProgramFiles_x86_:-/c/Program Files (x86)}/Microsoft Visual Studio/Installer/vswhere.exe"
  if ! command -v vswhere.exe >/dev/null 2>&1 && [ ! -x "$vswhere" ]; then
    need "Visual Studio 2022 with the \"Desktop development with C++\" workload" \
      "https://visualstudio.microsoft.com/downloads/ (the Community edition will do)"
  fi
}

LINUX_TOOLS=(clang cmake ninja pkg-config)
# The pkg-config modules the Flutter Linux embedder and the app's plugins link against:
# GTK 3, and libsecret for flet-secure-storage.
LINUX_MODULES=(gtk+-3.0 libsecret-1)
LINUX_APT="clang cmake ninja-build pkg-config libgtk-3-dev libsecret-1-dev liblzma-dev libstdc++-12-dev"

check_linux() {
  if [ "$host_name" != Linux ]; then
    need "Linux: linux builds run on Linux only (this is $host_name)" "run this on Linux (x86_64 or arm64)"
    return
  fi
  local t m
  for t in "${LINUX_TOOLS[@]}"; do
    command -v "$t" >/dev/null 2>&1 || need "$t" "Debian/Ubuntu: sudo apt install $LINUX_APT"
  done
  if command -v pkg-config >/dev/null 2>&1; then
    for m in "${LINUX_MODULES[@]}"; do
      pkg-config --exists "$m" 2>/dev/null || need "the $m development files" "Debian/Ubuntu: sudo apt install $LINUX_APT"
    done
  fi
}

case "$target" in
  apk | aab) check_android ;;
  ipa | macos) check_apple ;;
  windows) check_windows ;;
  linux) check_linux ;;
  web) ;; # the Flutter SDK alone
esac

if [ ${#missing[@]} -gt 0 ]; then
  echo "!! cannot build $target on this machine ($host_name); missing:"
  for m in "${missing[@]}"; do echo "   - $m"; done
  echo "!! see README.md, \"Build for tablets\""
  exit 3
fi

if [ "$target" = web ] && [ "${VITRINE_BUILD_WEB_STATIC:-0}" != 1 ]; then
  # The machine could build it, but the result cannot run this app (README "Build for tablets").
  echo "!! a static web build runs the app's Python in the browser (Pyodide), where SQLCipher, the keyring"
  echo "!! and libzbar do not exist: the site would not start. Serve the app's web UI from the hub instead:"
  echo "!!   python -m sync.hub serve --db ... --web-app app.web:hub_mount     (http://HOST:8700/app/)"
  echo "!! VITRINE_BUILD_WEB_STATIC=1 builds it all the same (e.g. to try the toolchain)."
  exit 4
fi

args=(build "$target" . --output "build/$target" --no-rich-output)
[ "$download" = 1 ] && args+=(--yes)
echo "==> $FLET ${args[*]} $*"
exec "$FLET" "${args[@]}" "$@"
