#!/usr/bin/env bash
# Downloads the upstream CRD schemas the manifest tests validate against and checks each one
# against the sha256 its lock file pins. Lock file lines: `<file name> <sha256 hex> <url>`,
# `#` comments and blank lines ignored. Every file is checked before anything is kept: a wrong
# sum (or a failed download) is reported per file and fails the run, and the file is not left in
# the directory. Under GitHub Actions ($GITHUB_ENV set) CRD_SCHEMA_DIR is exported, on success
# only, for the job's later steps.
#
# Usage: fetch-crd-schemas.sh <lock file> <directory>
set -euo pipefail

if [ "$#" -ne 2 ]; then
  echo "usage: $0 <lock file> <directory>" >&2
  exit 2
fi
lock=$1
if [ ! -f "$lock" ]; then
  echo "$lock: no such lock file" >&2
  exit 1
fi
mkdir -p "$2"
dest=$(cd "$2" && pwd)

declare -A seen=()
fetched=0
failed=0
number=0
while IFS= read -r line || [ -n "$line" ]; do
  number=$((number + 1))
  read -r name sum url extra <<<"$line" || true
  case "${name:-#}" in '#'*) continue ;; esac
  where="$lock:$number"
  if [ -z "${url:-}" ] || [ -n "${extra:-}" ]; then
    echo "$where: expected <file name> <sha256> <url>, got: $line" >&2
    failed=1
    continue
  fi
  if [[ ! "$name" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
    echo "$where: $name is not a plain file name" >&2
    failed=1
    continue
  fi
  if [[ ! "$sum" =~ ^[0-9a-fA-F]{64}$ ]]; then
    echo "$where: $sum is not a sha256 (64 hex digits)" >&2
    failed=1
    continue
  fi
  if [ -n "${seen[$name]:-}" ]; then
    echo "$where: $name is listed twice" >&2
    failed=1
    continue
  fi
  seen[$name]=1
  part="$dest/.$name.part"
  if ! curl --fail --silent --show-error --location --retry 3 --output "$part" "$url"; then
    rm -f "$part"
    echo "$where: $name: download from $url failed" >&2
    failed=1
    continue
  fi
  actual=$(sha256sum "$part" | cut -d ' ' -f 1)
  if [ "$actual" != "${sum,,}" ]; then
    rm -f "$part"
    echo "$where: $name: sha256 mismatch: $url has $actual, the lock pins ${sum,,}" >&2
    failed=1
    continue
  fi
  mv "$part" "$dest/$name"
  echo "$name: sha256 ok ($url)"
  fetched=$((fetched + 1))
done <"$lock"

if [ "$failed" -ne 0 ]; then
  echo "CRD schemas: verification failed, see above ($lock)" >&2
  exit 1
fi
if [ "$fetched" -eq 0 ]; then
  echo "$lock lists no schemas" >&2
  exit 1
fi
echo "CRD schemas: $fetched verified in $dest"
if [ -n "${GITHUB_ENV:-}" ]; then
  echo "CRD_SCHEMA_DIR=$dest" >>"$GITHUB_ENV"
fi
