# Sourced by the scripts: exports JAVA_HOME pointing at a JDK >= 25 (rullama needs the final java.lang.foreign).
# Order: $JAVA_HOME if it is new enough, Temurin 25 where this project's machines keep it, any JDK >= 25 under /usr/lib/jvm.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2; exit}'; }
pick_java() {
  local c
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
    [ -n "$c" ] && [ -x "$c/bin/java" ] && [ -x "$c/bin/javac" ] || continue
    local v; v=$(java_major "$c"); [ -n "$v" ] && [ "${v%%.*}" -ge 25 ] 2>/dev/null && { echo "$c"; return 0; }
  done
  return 1
}
if ! JAVA_HOME=$(pick_java); then
  echo "rullama: error: no JDK 25 or newer found (checked \$JAVA_HOME and /usr/lib/jvm). Install Temurin 25 and set JAVA_HOME." >&2
  exit 1
fi
export JAVA_HOME
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
