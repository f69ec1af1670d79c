#!/usr/bin/env bash
# Lays out the project's pretrained models for Squeeze: copies ../shared/models/*.onnx and *.json
# (beside the repository) into DIR/models, where Pretrained looks ($SQUEEZE_DATA/models), and the
# repository's own half-precision copies (datasets/models/*.sqz and *.json), which Pretrained uses
# where the ONNX files are absent (Binder, a laptop without ../shared).
#
#   toolkit/scripts/lay-out-models.sh DIR            # e.g. DIR = ./data-cache or $SQUEEZE_DATA
#   SQUEEZE_SHARED_MODELS=/other/models toolkit/scripts/lay-out-models.sh DIR
#
# Idempotent (files already identical are left alone) and atomic (each file is copied to a
# temporary name in DIR/models and renamed). Exits 0 with a note when there is nothing to copy.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 DIR   (copies ../shared/models/*.onnx and *.json into DIR/models)" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
src="${SQUEEZE_SHARED_MODELS:-$repo/../shared/models}"
dest="$1/models"
shopt -s nullglob
files=("$repo"/datasets/models/*.sqz "$repo"/datasets/models/*.json)
if [ -d "$src" ]; then
  files+=("$src"/*.onnx "$src"/*.json)
else
  echo "lay-out-models: no $src; laying out the repository's half-precision copies only" >&2
fi
if [ ${#files[@]} -eq 0 ]; then
  echo "lay-out-models: nothing to lay out" >&2
  exit 0
fi
mkdir -p "$dest"
for f in "${files[@]}"; do
  name="$(basename "$f")"
  if [ -f "$dest/$name" ] && cmp -s "$f" "$dest/$name"; then
    continue
  fi
  tmp="$(mktemp "$dest/.$name.XXXXXX")"
  trap 'rm -f "$tmp"' EXIT
  cp "$f" "$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$dest/$name"
  trap - EXIT
  echo "lay-out-models: $dest/$name"
done
