"""The local pool reads its jobs as its runners need them, so restoring the class's
notebooks overlaps their runs instead of delaying the first one."""

from __future__ import annotations

import os
from dataclasses import asdict

from grader_sandbox import jail
from grader_sandbox.isolation import Limits
from optigrade.grade.pool import WorkerPool


def test_jobs_are_read_as_the_runners_need_them(tmp_path):
    found = jail.find()
    os.chmod(tmp_path, 0o711)
    settings = {
        "assignment": "forward-pass",
        "limits": asdict(Limits(cell_timeout=10, timeout=60)),
        "scratch": str(tmp_path),
        "private": [],
        "release": {},
        "jail": found.mode,
        "bwrap": found.bwrap,
    }
    read: list[str] = []

    def jobs():
        for i in range(6):
            read.append(f"s{i}")
            yield {"student": f"s{i}", "cells": [[0, f"x = {i}", False]], "tests": {}}

    seen = []
    with WorkerPool(1, settings) as pool:
        for job, reply in pool.map(jobs()):
            seen.append((job["student"], len(read), reply.status))
    assert [student for student, _, _ in seen] == read == [f"s{i}" for i in range(6)]
    assert {status for _, _, status in seen} == {"graded"}
    assert seen[0][1] <= 3  # when the first came back, at most two more had been read
