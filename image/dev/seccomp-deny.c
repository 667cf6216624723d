/* seccomp-deny SYSCALL,SYSCALL,... CMD...: run CMD with those system calls failing with EPERM, the
   way SystemCallFilter=~... with SystemCallErrorNumber=EPERM does. How the unit's filter was bisected
   (docs/packaging.md, "The systemd unit"):
     gcc -O -o seccomp-deny image/dev/seccomp-deny.c /usr/lib/x86_64-linux-gnu/libseccomp.so.2
     ./seccomp-deny sched_setaffinity PUBLISH/redoubt version    -> Failed to create CoreCLR
   No libseccomp-dev needed: the few prototypes are declared here. A development tool, not shipped. */
#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <unistd.h>
#include <errno.h>
#include <sys/prctl.h>
typedef void *scmp_filter_ctx;
extern scmp_filter_ctx seccomp_init(uint32_t def_action);
extern int seccomp_rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt, ...);
extern int seccomp_load(scmp_filter_ctx ctx);
extern int seccomp_syscall_resolve_name(const char *name);
#define SCMP_ACT_ALLOW 0x7fff0000U
#define SCMP_ACT_ERRNO(x) (0x00050000U | ((x) & 0x0000ffffU))
int main(int argc, char **argv) {
  if (argc < 3) return 2;
  scmp_filter_ctx c = seccomp_init(SCMP_ACT_ALLOW);
  char *list = strdup(argv[1]);
  for (char *s = strtok(list, ","); s; s = strtok(NULL, ",")) {
    int n = seccomp_syscall_resolve_name(s);
    if (n < 0) { fprintf(stderr, "unknown %s\n", s); continue; }
    if (seccomp_rule_add(c, SCMP_ACT_ERRNO(EPERM), n, 0) != 0) fprintf(stderr, "rule %s failed\n", s);
  }
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  if (seccomp_load(c) != 0) { perror("seccomp_load"); return 2; }
  execvp(argv[2], argv + 2); perror("exec"); return 127;
}
