#!/usr/bin/env bash
# Build Enduro's images: `enduro` (operator, workspace preparation, test runner), the agent
# baseline and the harness images (images/README.md).
#
#   images/build.sh [--base registry|local] [--tag TAG] [--wheelhouse-only] [IMAGE...]
#
# IMAGE: enduro, agent-baseline, agent-<harness> (default: all; with a local base, enduro
# and agent-baseline only, since the harness images install their CLIs from PyPI or npm
# inside the build, on a Python or Node.js image from a registry).
#
# Builder: docker when a Docker engine answers, buildah otherwise (`--isolation chroot`,
# no daemon); BUILDER=docker|buildah forces one.
# Base: `registry` (the default) builds on the Dockerfiles' pinned Python image, resolved
# to its digest (name@sha256:...) when the registry is reachable; `local` makes a Debian
# root filesystem with mmdebstrap (SUITE, default trixie, whose python3 is 3.13) and
# imports it as localhost/enduro-base:$SUITE, for machines that reach no registry.
# Either way the Python environment comes from a wheelhouse made here, on the host, from
# uv.lock (images/wheelhouse/pyX.Y): the builds need no network and no certificates.
# Downloads are cached in .cache/images (the base root filesystem) and images/wheelhouse.
set -euo pipefail
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never

BASE=registry
TAG=$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -n 1)
WHEELHOUSE_ONLY=0
IMAGES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --base) BASE=$2; shift 2 ;;
    --tag) TAG=$2; shift 2 ;;
    --wheelhouse-only) WHEELHOUSE_ONLY=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    *) IMAGES+=("$1"); shift ;;
  esac
done
case "$BASE" in registry|local) ;; *) echo "--base is registry or local" >&2; exit 2 ;; esac

CACHE=.cache/images
WHEELHOUSE=images/wheelhouse
SUITE=${SUITE:-trixie}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
PYTHON_IMAGE=${PYTHON_IMAGE:-python:3.12.11-slim-bookworm}
# The Python 3.13 flavour of the baseline (Kimi CLI's base).
PYTHON313_IMAGE=${PYTHON313_IMAGE:-python:3.13.7-slim-bookworm}

log() { printf '[build.sh %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ -z "${BUILDER:-}" ]; then
  if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
    BUILDER=docker
  else
    BUILDER=buildah
  fi
fi

# --- the wheelhouse: uv.lock's packages for one Python version, and the project's wheel.
wheelhouse() {  # wheelhouse PYTHON_VERSION GLIBC_MINOR
  local version=$1 glibc=$2 dir="$WHEELHOUSE/py$1" arch platforms=() minor
  arch=$(uname -m)
  mkdir -p "$dir"
  uv export --quiet --frozen --no-dev --no-emit-project --format requirements-txt \
    --output-file "$dir/requirements.txt"
  for minor in $(seq 17 "$glibc"); do platforms+=(--platform "manylinux_2_${minor}_${arch}"); done
  log "wheelhouse $dir (Python $version, glibc 2.$glibc, $arch)"
  # Binary wheels only, for the image's Python (not the host's), hash-checked.
  uv run --quiet --frozen pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary :all: --implementation cp --python-version "$version" \
    --abi "cp${version/./}" "${platforms[@]}" \
    --dest "$dir" --requirement "$dir/requirements.txt" 2> >(grep -v '^WARNING: Location' >&2)
  rm -f "$dir"/enduro-*.whl
  uv build --quiet --wheel --out-dir "$dir" >/dev/null
}

# --- the base image.
image_exists() {
  if [ "$BUILDER" = docker ]; then docker image inspect "$1" >/dev/null 2>&1
  else buildah inspect --type image "$1" >/dev/null 2>&1; fi
}

local_base() {  # prints the image name
  local tar="$CACHE/base-$SUITE.tar" name="localhost/enduro-base:$SUITE" ctr
  mkdir -p "$CACHE"
  if [ ! -s "$tar" ]; then
    command -v mmdebstrap >/dev/null || { echo "mmdebstrap is needed for --base local" >&2; exit 1; }
    log "making the $SUITE root filesystem with mmdebstrap (cached in $tar)"
    mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,passwd \
      "$SUITE" "$tar.part" "$MIRROR" >&2
    mv "$tar.part" "$tar"
  fi
  if ! image_exists "$name" || [ "$tar" -nt "$CACHE/base-$SUITE.imported" ]; then
    log "importing $tar as $name"
    if [ "$BUILDER" = docker ]; then
      docker import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["/bin/sh"]' "$tar" "$name" >/dev/null
    else
      ctr=$(buildah from scratch)
      buildah add --quiet "$ctr" "$tar" / >/dev/null
      buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --cmd /bin/sh --label "dev.enduro.base=mmdebstrap $SUITE $MIRROR" "$ctr"
      buildah commit --quiet --rm "$ctr" "$name" >/dev/null
    fi
    touch "$CACHE/base-$SUITE.imported"
  fi
  echo "$name"
}

pinned() {  # name:tag -> name@sha256:... when the registry answers, else name:tag
  local image=$1 digest=""
  case "$image" in *@sha256:*) echo "$image"; return ;; esac
  if [ "$BUILDER" = docker ]; then
    docker pull --quiet "$image" >/dev/null 2>&1 \
      && digest=$(docker image inspect --format '{{index .RepoDigests 0}}' "$image" 2>/dev/null | sed 's/.*@//')
  else
    buildah pull --quiet "docker.io/library/$image" >/dev/null 2>&1 \
      && digest=$(buildah inspect --type image --format '{{.FromImageDigest}}' "docker.io/library/$image" 2>/dev/null)
  fi
  if [ -n "$digest" ]; then echo "${image}@${digest}"
  else log "no registry answers for $image: building on the tag (none at all? --base local)"
    echo "$image"; fi
}

python_of() {  # the X.Y of a python:X.Y.Z-... image name
  sed -n 's/^\(.*\/\)\{0,1\}python:\([0-9]*\.[0-9]*\).*/\2/p' <<<"$1"
}

build() {  # build IMAGE TAG [--build-arg ...]
  local dockerfile="images/$1/Dockerfile" tag=$2
  shift 2
  log "building $tag from $dockerfile with $BUILDER"
  local args=(-f "$dockerfile" -t "$tag" --label "org.opencontainers.image.version=$TAG" "$@")
  if [ "$BUILDER" = docker ]; then
    docker build "${args[@]}" .
  else
    buildah build --isolation chroot --layers "${args[@]}" .
  fi
}

if [ ${#IMAGES[@]} -eq 0 ]; then
  IMAGES=(enduro agent-baseline)
  if [ "$BASE" = registry ]; then
    for dir in images/agent-*/; do
      name=$(basename "$dir")
      [ "$name" = agent-baseline ] || IMAGES+=("$name")
    done
  fi
fi

if [ "$BASE" = local ]; then
  # trixie's python3 and glibc; for another SUITE set SUITE_PYTHON and SUITE_GLIBC_MINOR.
  wheelhouse "${SUITE_PYTHON:-3.13}" "${SUITE_GLIBC_MINOR:-41}"
  [ "$WHEELHOUSE_ONLY" = 1 ] && exit 0
  base=$(local_base)
  base312=$base base313=$base
else
  wheelhouse "$(python_of "$PYTHON_IMAGE")" 36    # bookworm's glibc 2.36
  if [ "$WHEELHOUSE_ONLY" = 1 ] || [[ " ${IMAGES[*]} " == *" agent-kimi-cli "* ]]; then
    wheelhouse "$(python_of "$PYTHON313_IMAGE")" 36
  fi
  [ "$WHEELHOUSE_ONLY" = 1 ] && exit 0
  base312=$(pinned "$PYTHON_IMAGE") base313=$PYTHON313_IMAGE
  if [[ " ${IMAGES[*]} " == *" agent-kimi-cli "* ]]; then base313=$(pinned "$PYTHON313_IMAGE"); fi
fi

for image in "${IMAGES[@]}"; do
  case "$image" in
    enduro)
      build enduro "enduro:$TAG" --build-arg "PYTHON_IMAGE=$base312" ;;
    agent-baseline)
      build agent-baseline "enduro-agent-baseline:$TAG" --build-arg "PYTHON_IMAGE=$base312"
      if [[ " ${IMAGES[*]} " == *" agent-kimi-cli "* ]]; then
        build agent-baseline "enduro-agent-baseline:$TAG-py3.13" --build-arg "PYTHON_IMAGE=$base313"
      fi ;;
    agent-*)
      [ -f "images/$image/Dockerfile" ] || { echo "no images/$image/Dockerfile" >&2; exit 2; }
      build "$image" "enduro-$image:$TAG" ;;
    *) echo "unknown image $image" >&2; exit 2 ;;
  esac
done
log "done: ${IMAGES[*]}"
