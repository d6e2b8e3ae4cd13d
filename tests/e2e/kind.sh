#!/usr/bin/env bash
# Real-cluster end-to-end test of Enduro on kind (Kubernetes in Docker).
#
# NOT RUN IN CI: it needs Docker, kind, kubectl and helm, and the CI machines of this
# project have no Docker. The default test suite covers the same path with the emulated
# cluster (tests/cluster) and checks the chart with real helm + kubernetes-validate
# (tests/chart); tests/e2e/test_kind_script.py only checks this script's syntax and the
# files it uses. Run it yourself on a machine with Docker:
#
#   tests/e2e/kind.sh                      # build, create cluster, install, run, clean up
#   ENDURO_KIND_KEEP=1 tests/e2e/kind.sh   # keep the cluster afterwards for poking around
#
# Steps: build the three images, create a kind cluster (Kubernetes >= 1.29 for native
# sidecars), load the images, helm-install charts/enduro, apply examples/quickstart.yaml,
# and `kubectl wait --for=condition=Succeeded` on its BenchmarkRuns.
#
# Environment: ENDURO_KIND_CLUSTER (default enduro-e2e), ENDURO_KIND_IMAGE (node image,
# default: kind's), ENDURO_E2E_NAMESPACE (default enduro-e2e), ENDURO_E2E_TIMEOUT
# (default 30m), ENDURO_KIND_KEEP (1 keeps the cluster).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CLUSTER="${ENDURO_KIND_CLUSTER:-enduro-e2e}"
NAMESPACE="${ENDURO_E2E_NAMESPACE:-enduro-e2e}"
TIMEOUT="${ENDURO_E2E_TIMEOUT:-30m}"
KEEP="${ENDURO_KIND_KEEP:-0}"
VERSION="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$REPO/charts/enduro/Chart.yaml")"
# enduro: the operator, workspace preparation and the test runner; agent-baseline: the
# oracle agent of the quick start (and the base of the harness images, images/README.md).
IMAGES=(enduro agent-baseline)

log() { printf '\n==> %s\n' "$*"; }

need() {
  local missing=()
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  if ((${#missing[@]})); then
    echo "kind.sh needs: ${missing[*]} (install them, then run again)" >&2
    exit 2
  fi
}

diagnose() {
  log "diagnostics"
  kubectl get enduro -A -o wide || true
  kubectl -n "$NAMESPACE" describe benchmarkruns,scenarioruns || true
  kubectl -n "$NAMESPACE" get pods,pvc -o wide || true
  kubectl -n enduro-system logs deployment/enduro --tail=200 || true
}

cleanup() {
  local status=$?
  if ((status != 0)); then
    diagnose
  fi
  if [[ "$KEEP" == "1" ]]; then
    log "keeping cluster $CLUSTER (kind delete cluster --name $CLUSTER)"
  else
    log "deleting cluster $CLUSTER"
    kind delete cluster --name "$CLUSTER" || true
  fi
  exit "$status"
}

need docker kind kubectl helm curl
cd "$REPO"

log "building images (tag $VERSION)"
BUILDER=docker images/build.sh --tag "$VERSION" "${IMAGES[@]}"

log "creating kind cluster $CLUSTER"
if ! kind get clusters | grep -qx "$CLUSTER"; then
  kind create cluster --name "$CLUSTER" --wait 180s ${ENDURO_KIND_IMAGE:+--image "$ENDURO_KIND_IMAGE"}
fi
trap cleanup EXIT
kubectl config use-context "kind-$CLUSTER"

log "loading images into the cluster"
kind load docker-image --name "$CLUSTER" "enduro:$VERSION" "enduro-agent-baseline:$VERSION"

log "installing charts/enduro"
helm upgrade --install enduro charts/enduro \
  --namespace enduro-system --create-namespace \
  --set image.pullPolicy=Never \
  --set "stepImages.enduro=enduro:$VERSION" \
  --set "stepImages.agentTemplate=enduro-agent-baseline:$VERSION" \
  --wait --timeout 5m
kubectl get crd benchmarkruns.enduro.dev scenarioruns.enduro.dev benchmarks.enduro.dev agents.enduro.dev

log "running examples/quickstart.yaml in namespace $NAMESPACE"
kubectl create namespace "$NAMESPACE" --dry-run=client -o yaml | kubectl apply -f -
kubectl -n "$NAMESPACE" apply -f examples/quickstart.yaml
kubectl -n "$NAMESPACE" get enduro

log "waiting up to $TIMEOUT for every BenchmarkRun to succeed"
kubectl -n "$NAMESPACE" wait --for=condition=Succeeded benchmarkrun --all --timeout="$TIMEOUT"
kubectl -n "$NAMESPACE" get enduro -o wide

log "operator metrics"
kubectl -n enduro-system port-forward svc/enduro-metrics 19090:9090 >/dev/null 2>&1 &
forward=$!
sleep 3
curl -fsS http://127.0.0.1:19090/metrics | grep -E '^enduro_(turns_completed_total|scenario_runs)' || true
kill "$forward"

log "end-to-end on kind: OK"
