#!/usr/bin/env python3
"""The image build on this machine: the Dockerfile's own build steps, run without a Docker engine,
cold and again after a change to project code only (the dependency layer reused).

Usage (from the repository root; about 30 minutes on 2 cores, ~8 GB under bench/out):
    python3 bench/image-build.py

It reads the Dockerfile and runs its `plan` and `build` stages as Docker would, in scratch
directories under bench/out/image-build: each stage's ENV, WORKDIR and RUN instructions, COPY
from the build context (the checkout's files minus .dockerignore) or from an earlier stage. The
`tools` stage is this machine's installed tools (cargo-chef, cargo-leptos, wasm-bindgen, npm's
binaryen; `./dev` and `cargo install cargo-chef` put them there): its `npm ci` runs, its
apt-get/rustup/cargo install steps are reported, not repeated. Crates come from the local
registry cache, as a Docker build with a warm cargo cache would fetch them.

Measured:
  cold        prepare + cook (server, WASM) + `cargo leptos build`: a first image build
  code-only   the layers up to the cook reused, the sources copied again (every workspace file
              newer, as `COPY . .` makes them) and `cargo leptos build` run: a deploy that
              changed only project code
For both builds it lists which crates compiled after the cook: only the workspace's may
(app, frontend, migration, server); any other means the cook's flags drifted from
cargo-leptos's, and the dependency layer would not save anything.
"""

import fnmatch
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "image-build"
WORKSPACE_CRATES = {"app", "frontend", "migration", "server"}
# Tool installs of the `tools` stage: this machine has them already.
INSTALLED = ("apt-get", "rustup target add", "cargo install")


def instructions(dockerfile: str):
    """(keyword, rest) per instruction, continuation lines joined, comments dropped."""
    out, pending = [], ""
    for line in dockerfile.splitlines():
        t = line.strip()
        if t.startswith("#") or (not t and not pending):
            continue
        if t.endswith("\\"):
            pending += t[:-1] + " "
            continue
        pending += t
        keyword, _, rest = pending.partition(" ")
        out.append((keyword.upper(), rest.strip()))
        pending = ""
    return out


def stages(dockerfile: str) -> dict:
    """Stage name -> {"base": …, "steps": [(keyword, rest)]}."""
    result, current = {}, None
    for keyword, rest in instructions(dockerfile):
        if keyword == "FROM":
            parts = rest.split()
            name = parts[-1] if len(parts) >= 3 and parts[-2].upper() == "AS" else f"stage{len(result)}"
            current = result[name] = {"base": parts[0], "steps": []}
        elif current is not None:
            current["steps"].append((keyword, rest))
    return result


def context_files() -> list[str]:
    """The build context: the checkout's files (tracked and new), minus .dockerignore."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout.split("\n")
    ignore = [p.strip().rstrip("/") for p in (ROOT / ".dockerignore").read_text().splitlines()
              if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        return any(fnmatch.fnmatch(path, p) or path.startswith(p + "/") or fnmatch.fnmatch(os.path.basename(path), p)
                   for p in ignore)

    return [f for f in listed if f and not ignored(f) and (ROOT / f).is_file()]


def env_pairs(rest: str) -> dict:
    return dict(pair.split("=", 1) for pair in shlex.split(rest))


class Stage:
    """A stage's filesystem: an image root directory; paths in the Dockerfile map into it."""

    def __init__(self, name: str, root: pathlib.Path, env: dict, workdir: str):
        self.name, self.root, self.env, self.workdir = name, root, dict(env), workdir

    def path(self, p: str) -> pathlib.Path:
        p = p if p.startswith("/") else f"{self.workdir}/{p}"
        return self.root / p.lstrip("/")


def copy_into(sources: list[pathlib.Path], base: pathlib.Path, dest: pathlib.Path):
    for src in sources:
        target = dest / src.relative_to(base)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)


def run(stage: Stage, command: str, log: pathlib.Path) -> float:
    env = {**os.environ, **stage.env}
    # PATH entries inside the image (node_modules/.bin) point into this stage's root.
    env["PATH"] = ":".join(str(stage.path(p)) if p.startswith("/src") else p for p in env["PATH"].split(":"))
    started = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n$ {command}\n")
        out.flush()
        done = subprocess.run(["sh", "-c", command], cwd=stage.path(stage.workdir), env=env,
                              stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        sys.exit(f"`{command}` failed in stage {stage.name}: see {log}")
    return time.monotonic() - started


def play(name: str, spec: dict, built: dict, context: list[str], log: pathlib.Path,
         timings: list, skip_sources_copy=False) -> Stage:
    """Runs one stage's steps; the stage starts as a copy of its base stage, if any."""
    root = OUT / name
    if root.exists():
        shutil.rmtree(root)
    base = built.get(spec["base"])
    if base:
        shutil.copytree(base.root, root, symlinks=True)
        stage = Stage(name, root, base.env, base.workdir)
    else:
        root.mkdir(parents=True)
        stage = Stage(name, root, {"PATH": os.environ["PATH"]}, "/")
    for keyword, rest in spec["steps"]:
        if keyword == "WORKDIR":
            stage.workdir = rest
            stage.path(rest).mkdir(parents=True, exist_ok=True)
        elif keyword == "ENV":
            for k, v in env_pairs(rest).items():
                stage.env[k] = v.replace("$PATH", stage.env.get("PATH", ""))
        elif keyword == "COPY":
            args = shlex.split(rest)
            source_stage = next((built[a.split("=", 1)[1]] for a in args if a.startswith("--from=")), None)
            args = [a for a in args if not a.startswith("--")]
            *srcs, dest = args
            dest_path = stage.path(dest)
            if source_stage:
                for src in srcs:
                    target = dest_path if not dest.endswith("/") else dest_path / pathlib.Path(src).name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source_stage.path(src), target)
            elif srcs == ["."]:
                if skip_sources_copy:
                    continue
                started = time.monotonic()
                copy_into([ROOT / f for f in context], ROOT, dest_path)
                timings.append((name, "COPY . .", time.monotonic() - started))
            else:
                for src in srcs:
                    files = [ROOT / f for f in context if f == src or f.startswith(src.rstrip("/") + "/")]
                    if (ROOT / src).is_dir():
                        copy_into(files, ROOT / src, dest_path)
                    else:
                        target = dest_path / src if dest.endswith("/") or dest in (".", "./") else dest_path
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copy2(ROOT / src, target)
        elif keyword == "RUN":
            if any(rest.startswith(t) for t in INSTALLED):
                timings.append((name, rest[:60] + "…", None))
                continue
            timings.append((name, rest, run(stage, rest, log)))
    built[name] = stage
    return stage


def compiled_crates(log: pathlib.Path, since: int) -> list[str]:
    """Crates cargo reported compiling in the log after byte offset `since`."""
    text = log.read_text()[since:]
    return sorted(set(re.findall(r"^\s*Compiling (\S+) v", text, re.M)))


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def main():
    for tool in ("cargo-chef", "cargo-leptos", "wasm-bindgen"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed: `./dev release` installs cargo-leptos and wasm-bindgen; "
                     "`cargo install cargo-chef --locked` the other")
    OUT.mkdir(parents=True, exist_ok=True)
    log = OUT / "build.log"
    log.write_text("")
    spec = stages((ROOT / "Dockerfile").read_text())
    context = context_files()
    built, timings = {}, []

    play("tools", spec["tools"], built, context, log, timings)
    tools_done = len(timings)
    play("plan", spec["plan"], built, context, log, timings)
    # The build stage up to (and without) `COPY . .`: the dependency layer.
    build = spec["build"]
    sources_at = next(i for i, (k, r) in enumerate(build["steps"]) if k == "COPY" and r == ". .")
    deps = {"base": build["base"], "steps": build["steps"][:sources_at]}
    play("build-deps", deps, built, context, log, timings)
    cold_deps = sum(t for _, _, t in timings[tools_done:] if t)
    # Keep the dependency layer as Docker does, then the sources and the project's build.
    layer = OUT / "build-deps.layer"
    if layer.exists():
        shutil.rmtree(layer)
    shutil.copytree(OUT / "build-deps", layer, symlinks=True)
    project = {"base": "build-deps", "steps": build["steps"][sources_at:]}
    offset = len(log.read_text())
    before = len(timings)
    play("build", project, built, context, log, timings)
    cold_project = sum(t for _, _, t in timings[before:] if t)
    cold_crates = compiled_crates(log, offset)

    # A deploy that changed only project code: the cached dependency layer, the sources again.
    shutil.rmtree(OUT / "build-deps")
    layer.rename(OUT / "build-deps")
    for f in context:
        if f.endswith(".rs"):
            os.utime(ROOT / f)  # newer than the cook's stubs, as COPY makes them
    offset = len(log.read_text())
    before = len(timings)
    play("build", project, built, context, log, timings)
    rebuild = sum(t for _, _, t in timings[before:] if t)
    rebuild_crates = compiled_crates(log, offset)

    print("step timings (s):")
    for stage, step, seconds in timings:
        shown = "installed here (not timed)" if seconds is None else f"{seconds:7.1f}"
        print(f"  {stage:10} {shown:>26}  {step[:90]}")
    print()
    print(f"cold build (prepare + cook + project):  {minutes(cold_deps + cold_project)}"
          f"  (dependency layer {minutes(cold_deps)}, project {minutes(cold_project)})")
    print(f"code-only rebuild (layer reused):       {minutes(rebuild)}"
          f"  ratio to cold {rebuild / (cold_deps + cold_project):.2f}")
    for label, crates in (("cold", cold_crates), ("code-only", rebuild_crates)):
        others = [c for c in crates if c not in WORKSPACE_CRATES]
        print(f"crates compiled after the cook ({label}): {', '.join(crates) or 'none'}")
        if others:
            print(f"  NOT cached by the dependency layer: {', '.join(others)}")
    binary = OUT / "build" / "src" / "target" / "release" / "replydesk"
    site = OUT / "build" / "src" / "target" / "site"
    if binary.exists():
        size = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
        print(f"image payload: binary {binary.stat().st_size / 1e6:.1f} MB, site {size / 1e6:.1f} MB")
    if any(c not in WORKSPACE_CRATES for c in cold_crates + rebuild_crates):
        sys.exit(1)


if __name__ == "__main__":
    main()
