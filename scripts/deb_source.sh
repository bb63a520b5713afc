# Sourced (not run) by scripts/setup.sh and scripts/build_faiss_simd.sh: fetch a
# Debian source package, with Debian's patches applied, into a cache directory
# outside version control. Callers define log() and die().

# Adds deb-src entries mirroring the deb ones (root only); sets
# DRIFT_DEB_SRC_ADDED=1 when it wrote them, so the caller runs apt-get update.
drift_add_deb_src() {
  local src=/etc/apt/sources.list.d/debian-src.sources
  local deb=/etc/apt/sources.list.d/debian.sources
  [ -f "$src" ] && return 0
  [ -f "$deb" ] || die "$deb not found: cannot derive the deb-src entry"
  # Same stanzas as the binary entries, only Types changed.
  sed -e 's/^Types: deb$/Types: deb-src/' "$deb" >"$src"
  log "added deb-src entries in $src"
  DRIFT_DEB_SRC_ADDED=1
}

# True when apt has no source index yet (apt-get update needed).
drift_no_source_lists() { [ -z "$(ls /var/lib/apt/lists/*Sources* 2>/dev/null)" ]; }

# drift_fetch_source PACKAGE VERSION DEST: `apt-get source PACKAGE=VERSION`
# unpacked (dpkg-source -x) into DEST; DEST/.complete holds VERSION. Does
# nothing when DEST already holds VERSION; fails when it holds another one.
drift_fetch_source() {
  local pkg="$1" version="$2" dest="$3"
  if [ -f "$dest/.complete" ]; then
    [ "$(cat "$dest/.complete")" = "$version" ] ||
      die "$dest holds $pkg $(cat "$dest/.complete"), expected $version; delete it and re-run"
    return 0
  fi
  log "fetching $pkg=$version source into $dest"
  local tmp="$dest.tmp"
  rm -rf "$tmp" "$dest"
  mkdir -p "$tmp"
  (cd "$tmp" && apt-get source -q --download-only "$pkg=$version" >/dev/null &&
     dpkg-source -x ./*.dsc tree >/dev/null) ||
    die "apt-get source $pkg=$version failed"
  mv "$tmp/tree" "$dest"
  rm -rf "$tmp"
  echo "$version" >"$dest/.complete"
}
