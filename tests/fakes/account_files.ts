/**
 * An `/etc/passwd` and `/etc/group` for tests of the account parsers and of credential
 * resolution: a comment, a malformed line and supplementary groups included.
 *
 * @module
 */

/** `/etc/passwd` text: root, daemon, www-data (33) and nobody, plus a comment and a broken line. */
export const PASSWD = [
  "root:x:0:0:root:/root:/bin/bash",
  "# a comment",
  "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
  "broken line",
  "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
  "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
  "",
].join("\n");

/** `/etc/group` text: www-data is also in adm and video. */
export const GROUP = [
  "root:x:0:",
  "adm:x:4:syslog,www-data",
  "www-data:x:33:",
  "video:x:44:www-data,root",
  "nogroup:x:65534:",
].join("\n");
