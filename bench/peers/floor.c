/*
 * The floor of the peer benchmark: the least a supervisor can do in C.
 *
 *   floor N
 *
 * fork+execs N times `sleep 100000`, respawns a child at once when it exits,
 * and on SIGTERM kills every child with SIGTERM, reaps them all and exits 0.
 * No configuration, no status, no logging: what is left is the cost of the
 * system calls themselves. Built by the benchmark with `gcc -O2`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t *slots;
static long nslots;
static sigset_t parent_mask;

static pid_t spawn_one(void) {
  pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execlp("sleep", "sleep", "100000", (char *)NULL);
    _exit(127);
  }
  if (pid < 0) perror("floor: fork");
  return pid;
}

/* Reaps every exited child; respawns its slot unless stopping. Returns live children. */
static long reap(int stopping) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (long i = 0; i < nslots; i++) {
      if (slots[i] != pid) continue;
      slots[i] = stopping ? 0 : spawn_one();
      break;
    }
  }
  long live = 0;
  for (long i = 0; i < nslots; i++) live += slots[i] > 0;
  return live;
}

int main(int argc, char **argv) {
  if (argc != 2 || (nslots = strtol(argv[1], NULL, 10)) <= 0) {
    fprintf(stderr, "usage: floor N\n");
    return 2;
  }
  slots = calloc((size_t)nslots, sizeof *slots);
  if (slots == NULL) return 1;
  sigemptyset(&parent_mask);
  sigaddset(&parent_mask, SIGCHLD);
  sigaddset(&parent_mask, SIGTERM);
  sigaddset(&parent_mask, SIGINT);
  sigprocmask(SIG_BLOCK, &parent_mask, NULL);

  for (long i = 0; i < nslots; i++) slots[i] = spawn_one();

  for (;;) {
    int sig;
    if (sigwait(&parent_mask, &sig) != 0) continue;
    if (sig == SIGCHLD) {
      reap(0);
      continue;
    }
    for (long i = 0; i < nslots; i++)
      if (slots[i] > 0) kill(slots[i], SIGTERM);
    while (reap(1) > 0) {
      if (sigwait(&parent_mask, &sig) != 0 && errno != EINTR) break;
    }
    return 0;
  }
}
