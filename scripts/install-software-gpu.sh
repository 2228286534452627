#!/usr/bin/env bash
# Installs a software WebGPU adapter for tests on machines without a GPU: Mesa's lavapipe (a Vulkan
# driver on the CPU) and the Vulkan loader. Debian 12's own Mesa (22.3) is rejected by Dawn, so lavapipe
# comes from bookworm-backports (Mesa 25). Idempotent: does nothing when a new enough lavapipe is there.
# Prints the environment a process needs (`eval "$(scripts/install-software-gpu.sh)"`); diagnostics go to
# stderr so that stdout stays evaluable.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

ICD_DIR=/usr/share/vulkan/icd.d
MIN_MESA_MAJOR=24

mesa_major() {
  dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | sed -E 's/^([0-9]+:)?([0-9]+).*/\2/' || true
}

have_lavapipe() {
  local major
  major=$(mesa_major)
  [[ -n "$major" && "$major" -ge $MIN_MESA_MAJOR ]] && dpkg-query -W libvulkan1 >/dev/null 2>&1 \
    && ls "$ICD_DIR"/lvp_icd*.json >/dev/null 2>&1
}

if ! have_lavapipe; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-software-gpu: needs root to install mesa-vulkan-drivers from bookworm-backports" >&2
    exit 1
  fi
  . /etc/os-release
  if [[ "${VERSION_CODENAME:-}" != bookworm ]]; then
    # Later Debian releases ship Mesa >= 24 in main.
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 >&2
  else
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/bookworm-backports.list
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers libvulkan1 >&2
  fi
  have_lavapipe || { echo "install-software-gpu: lavapipe still missing after install" >&2; exit 1; }
fi

# Only lavapipe: a machine's other ICDs (a real GPU driver) must not be picked up by a software test.
icd=$(ls "$ICD_DIR"/lvp_icd*.json | head -n 1)
echo "install-software-gpu: lavapipe from Mesa $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)" >&2
echo "export VK_ICD_FILENAMES=$icd"
