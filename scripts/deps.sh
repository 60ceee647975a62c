#!/usr/bin/env bash
# deps.sh: installs what building, running and testing Bilan Remote needs, from
# Debian 12 packages only. Idempotent; uses sudo when not root.
set -euo pipefail
packages=(build-essential cmake pkg-config git ca-certificates openssl
          libwebsockets-dev libssl-dev libsqlite3-dev libjansson-dev
          python3 python3-cryptography
          libvpx-dev libopus-dev libyuv-dev libspeexdsp-dev libjpeg62-turbo-dev ffmpeg
          libsdl2-dev libsdl2-ttf-dev fonts-dejavu-core gettext vpx-tools iproute2
          xvfb xauth xdotool espeak-ng chromium dpkg-dev file
          libcairo2-dev libpango1.0-dev poppler-utils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
