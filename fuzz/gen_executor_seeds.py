#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_executor (fuzz/corpus/fuzz_executor/): byte
programs for typical lives of a task, in the operation encoding that
fuzz_executor.c reads (first byte: configuration; then one byte per
operation, % 18, followed by its parameter bytes).
    python3 fuzz/gen_executor_seeds.py"""
import os

SUB, LAUNCH, KILL, ACK, MISC, RAW, DISC, EXITED, TREE, HOOKS, ADV, HEALTH, CHECK, \
    SIGTERM, EXPIRE, SUBBODY, DESCRIBE, DIES = range(18)

def sub(kill_cap=1):
    return [SUB, kill_cap, 1]

def launch(idx=0, flags=0, *params):
    return [LAUNCH, idx, flags, *params]

def hooks(n=1, fail=False, env=0):
    return [HOOKS, (4 if fail else 0) | env] * n

def ack(i):
    return [ACK, i]

def adv(b):
    return [ADV, b]

SEEDS = {
    "finish": [0x50] + sub() + launch() + hooks(3) + ack(0) + ack(1) + [EXITED, 0, TREE]
              + hooks(1) + ack(2) + [SUBBODY],
    "fail_exit_3": [0x50] + sub(0) + launch() + hooks(3) + [EXITED, 7, TREE] + hooks(1)
                   + ack(0) + ack(1) + ack(2),
    "kill_grace_escalates": [0x51] + sub() + launch(0, 4, 24) + hooks(3) + [KILL, 0, 0]
                            + hooks(1) + adv(0x3f) + adv(0x4f) + [DIES] + ack(0) + ack(1)
                            + ack(2) + ack(3),
    "shutdown": [0x70] + sub() + launch() + hooks(3) + [MISC, 3] + hooks(1) + [EXITED, 31, TREE]
                + ack(0) + ack(1) + ack(2) + ack(3),
    "health_kill": [0x50] + sub() + launch(0, 1, 1) + hooks(2) + [HEALTH, 1] + hooks(1)
                   + [HEALTH, 3] + hooks(1) + [DIES] + [SUBBODY] + ack(0) + ack(1) + ack(2)
                   + ack(3) + ack(4),
    "check_updates": [0x50] + sub() + launch(0, 2, 0) + hooks(3) + [CHECK, 1, CHECK, 3, CHECK, 3]
                     + [SIGTERM] + hooks(1) + [DIES] + ack(0) + ack(1) + ack(2) + ack(3),
    "no_checkpoint_disconnect": [0x50] + sub() + launch() + hooks(3) + [DISC] + hooks(1)
                                + [DIES, SUBBODY],
    "checkpoint_recovery_timeout": [0x51] + sub() + launch() + hooks(3) + [DISC] + adv(0xf9)
                                   + hooks(1) + [DIES],
    "checkpoint_reconnect_resend": [0x51] + sub() + launch() + hooks(1) + [DISC, SUBBODY]
                                   + sub() + adv(0x2f) + adv(0x3f) + ack(0) + hooks(2)
                                   + [EXITED, 0, TREE] + hooks(1) + ack(1) + ack(2),
    "kill_before_launch": [0x50] + sub() + [KILL, 1, 0] + launch(1, 0) + ack(0) + adv(0x4f),
    "second_launch_refused": [0x50] + sub() + launch(0) + launch(1) + launch(1) + hooks(3)
                             + [MISC, 4, MISC, 4] + [EXITED, 0, TREE] + hooks(1)
                             + ack(0) + ack(1) + ack(2) + ack(3),
    "launch_fails": [0x50] + sub() + launch(0, 32) + hooks(1) + hooks(1) + ack(0) + ack(1),
    "hook_fails": [0x50] + sub() + launch(0, 0) + hooks(1, fail=True) + hooks(1) + ack(0)
                  + ack(1),
    "hook_env": [0x50] + sub() + launch(0, 64) + hooks(1, env=3) + hooks(2) + [EXPIRE]
                + hooks(1) + [DIES] + ack(0) + ack(1) + ack(2) + ack(3),
    "max_completion": [0x50] + sub() + launch(0, 8, 10) + hooks(3) + adv(0x4f) + hooks(1)
                      + [DIES] + ack(0) + ack(1) + ack(2),
    "custom_executor": [0x50] + sub() + launch(2, 16) + hooks(3) + [SIGTERM, SIGTERM]
                       + hooks(1) + adv(0x10) + [DIES] + ack(0) + ack(1) + ack(2),
    "raw_events": [0x52] + [RAW, 2, 0x08, 0x09, RAW, 4, 0x08, 0x05, 0x22, 0x00] + sub()
                  + [MISC, 0, MISC, 1, MISC, 2, MISC, 5, MISC, 6, MISC, 7, MISC, 8, MISC, 9,
                     MISC, 10, DESCRIBE, 0x0b, 0x80],
    "ack_resends": [0x50] + sub() + launch() + hooks(1) + adv(0x2f) + adv(0x3f) + adv(0x4f)
                   + ack(0) + [ACK, 0x81, 1] + ack(1) + hooks(2),
}

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_executor")
os.makedirs(here, exist_ok=True)
for name, prog in SEEDS.items():
    with open(os.path.join(here, name), "wb") as f:
        f.write(bytes(b & 0xff for b in prog))
