#!/usr/bin/env python3
"""ctest DocExamples: extracts the marked examples of the docs, compiles and runs them.

Usage: doc_examples.py --source-dir=DIR --build-dir=DIR [--cxx=c++] [--flags=...] DOC.md...

Markers are HTML comments on the line before a code block (docs/testing.md):

  <!-- drift-example: file=/tmp/x.cc -->      C++ block written to that path, for a
                                              later shell step to compile
  <!-- drift-example: NAME fragment dim=N --> C++ fragment; the fragments of one NAME in
                                              one file are concatenated in order into
                                              main() of tests/doc_harness.h, compiled
                                              against the build tree and run
  <!-- drift-shell -->                        shell block: with `$ ` lines a transcript
                                              (each command's stdout+stderr must match
                                              the lines below it; a `...` line matches any
                                              lines; `echo $?` shows the previous exit
                                              code); without, every command must exit 0

All docs share one sandbox, processed in the order given: `/tmp/` in code and
commands means <sandbox>/tmp/, and commands run in <sandbox>, where `build` links to
the build tree, and `include` and `examples` to the sources'. Exit code 0 only if every example
compiled and ran as documented.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

MARKER = re.compile(r"^( *)<!--\s*drift-(example|shell)\s*:?\s*(.*?)\s*-->\s*$")
STATUS_STMT = re.compile(r"^\s*(rocksdb::Status\s+)?s\s*=")
STATUS_DECL = re.compile(r"\brocksdb::Status\s+s\b")


class Block:
    def __init__(self, doc, line, kind, args, lines):
        self.doc, self.line, self.kind, self.args, self.lines = doc, line, kind, args, lines

    def where(self):
        return f"{self.doc}:{self.line}"


def parse_blocks(path, rel):
    """Returns the marked blocks of one markdown file; line = first code line (1-based)."""
    with open(path, encoding="utf-8") as f:
        text = f.read().split("\n")
    blocks = []
    i = 0
    while i < len(text):
        m = MARKER.match(text[i])
        if not m:
            i += 1
            continue
        pad = " " * (len(m.group(1)) + 4)  # a marker inside a list item is indented
        kind, args = m.group(2), m.group(3).split()
        i += 1
        while i < len(text) and not text[i].strip():
            i += 1
        if i < len(text) and text[i].startswith("```"):
            start, i = i + 1, i + 1
            while i < len(text) and not text[i].startswith("```"):
                i += 1
            lines = text[start:i]
        elif i < len(text) and text[i].startswith(pad):
            start = i
            while i < len(text) and (text[i].startswith(pad) or not text[i].strip()):
                i += 1
            lines = [l[len(pad):] for l in text[start:i]]
            while lines and not lines[-1].strip():
                lines.pop()
        else:
            sys.exit(f"{rel}:{i + 1}: drift-{kind} marker not followed by a code block")
        blocks.append(Block(rel, start + 1, kind, args, lines))
    return blocks


def option(args, key):
    for a in args:
        if a.startswith(key + "="):
            return a[len(key) + 1:]
    return None


class Runner:
    def __init__(self, opts, sandbox):
        self.opts = opts
        self.sandbox = sandbox
        self.tmp = os.path.join(sandbox, "tmp")
        os.makedirs(self.tmp)
        os.symlink(os.path.abspath(opts.build_dir), os.path.join(sandbox, "build"))
        os.symlink(os.path.join(opts.source_dir, "include"), os.path.join(sandbox, "include"))
        os.symlink(os.path.join(opts.source_dir, "examples"), os.path.join(sandbox, "examples"))
        self.failures = 0
        self.ran = 0

    def fail(self, block, message):
        self.failures += 1
        print(f"FAIL {block.where()}: {message}", flush=True)

    def to_sandbox(self, text):
        text = re.sub(r"(?<![\w.])/tmp/", self.tmp + "/", text)
        if self.opts.flags:  # sanitizer builds: the doc's compile lines link that runtime
            text = re.sub(r"\bg\+\+ ", "g++ " + self.opts.flags + " ", text)
        return text

    def from_sandbox(self, text):
        return text.replace(self.tmp + "/", "/tmp/").replace(self.tmp, "/tmp")

    def run_cmd(self, command, timeout=120):
        env = dict(os.environ, PWD=self.sandbox, TMPDIR=self.tmp)
        # Line-buffered stdout keeps stdout and stderr in the order a terminal shows. Its own
        # process group: on a timeout, what it started in the background dies with it (and
        # stops holding the pipe open).
        p = subprocess.Popen(["stdbuf", "-oL", "-eL", "bash", "-c", command], cwd=self.sandbox,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, _ = p.communicate()
            out += f"\n[timed out after {timeout} s]\n".encode()
        return p.returncode, self.from_sandbox(out.decode("utf-8", "replace"))

    # --- C++ ---------------------------------------------------------------
    def write_file(self, block, path):
        target = self.to_sandbox(path)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(self.to_sandbox("\n".join(block.lines)) + "\n")

    def fragment_program(self, name, blocks):
        dims = {option(b.args, "dim") for b in blocks} - {None}
        if len(dims) != 1:
            return None, f"fragments of '{name}' need one dim=N, have {sorted(dims)}"
        includes, body, declared = [], [], False
        for b in blocks:
            pending = False  # inside a top-level `s = ...;` statement
            for n, line in enumerate(b.lines):
                if line.startswith("#include"):
                    includes.append(line)
                    continue
                body.append(f'#line {b.line + n} "{b.doc}"')
                body.append("  " + self.to_sandbox(line))
                declared = declared or bool(STATUS_DECL.search(line))
                if STATUS_STMT.match(line) and not line.startswith(" "):
                    pending = True
                code = line.split("//")[0].rstrip()
                if pending and code.endswith(";"):
                    body.append(f'  drift_doc::Check(s, "{b.doc}:{b.line + n}");')
                    pending = False
            if declared:
                body.append(f'  drift_doc::Check(s, "{b.where()} (end of block)");')
        src = ['#include "tests/doc_harness.h"'] + includes + [
            "",
            "int main(int argc, char** argv) {",
            f"  drift_doc::Harness harness(argc, argv, {dims.pop()});",
            "  rocksdb::DB* db = harness.db();",
            "  rocksdb::ColumnFamilyHandle* vectors_cf = harness.vectors_cf();",
            "  rocksdb::ColumnFamilyHandle* records_cf = harness.records_cf();",
            "  std::vector<float> query = harness.Vector(7), vec42 = harness.Vector(42);",
            '  std::string record_json = R"({"title":"document 42"})";',
            "  (void)db, (void)vectors_cf, (void)records_cf, (void)query, (void)vec42,",
            "      (void)record_json;",
        ] + body + ["  return 0;", "}", ""]
        return "\n".join(src), None

    def run_fragments(self, name, blocks):
        first = blocks[0]
        src, error = self.fragment_program(name, blocks)
        if error:
            return self.fail(first, error)
        d = os.path.join(self.sandbox, "fragments", name)
        os.makedirs(d)
        cc, exe = os.path.join(d, name + ".cc"), os.path.join(d, name)
        with open(cc, "w", encoding="utf-8") as f:
            f.write(src)
        b = os.path.abspath(self.opts.build_dir)
        compile_cmd = [self.opts.cxx, "-std=c++17", "-O0", "-Wall"] + self.opts.flags.split() + [
            "-I" + os.path.join(self.opts.source_dir, "include"), "-I" + self.opts.source_dir,
            cc, "-o", exe, "-L" + b, "-ldrift", "-lrocksdb", "-Wl,-rpath," + b]
        self.ran += 1
        p = subprocess.run(compile_cmd, cwd=self.opts.source_dir, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
        if p.returncode != 0:
            return self.fail(first, f"fragments '{name}' do not compile ({cc}):\n"
                             + p.stdout.decode("utf-8", "replace"))
        os.makedirs(os.path.join(d, "run"))
        p = subprocess.run([exe, os.path.join(d, "run")], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if p.returncode != 0:
            return self.fail(first, f"fragments '{name}' exit {p.returncode}:\n"
                             + p.stdout.decode("utf-8", "replace"))
        print(f"ok   {first.where()}: fragments '{name}' ({len(blocks)} blocks) compiled and ran")

    # --- shell -------------------------------------------------------------
    @staticmethod
    def commands(lines):
        """Joins backslash continuations; returns [(command, [expected lines])]."""
        out, transcript = [], any(l.startswith("$ ") for l in lines)
        i = 0
        while i < len(lines):
            line = lines[i]
            if transcript and not line.startswith("$ "):
                if out:
                    out[-1][1].append(line)
                i += 1
                continue
            cmd = line[2:] if transcript else line
            while cmd.endswith("\\") and i + 1 < len(lines):
                i += 1
                cmd = cmd[:-1] + " " + lines[i].strip()
            if cmd.strip():
                out.append((cmd, []))
            i += 1
        return out, transcript

    @staticmethod
    def mismatch(expected, actual):
        """None if `actual` matches the expected lines, else the first line that does not."""
        text = "".join(l.rstrip() + "\n" for l in actual.splitlines())
        parts = [r"(?:.*\n)*?" if e.strip() == "..." else re.escape(e.rstrip()) + r"\n"
                 for e in expected]
        if re.fullmatch("".join(parts), text):
            return None
        for k in range(1, len(parts) + 1):
            if not re.match("".join(parts[:k]), text):
                return f"no match for the doc's line {expected[k - 1]!r}"
        return "the output has more lines than the doc shows"

    def run_shell(self, block):
        cmds, transcript = self.commands(block.lines)
        last_code = 0
        for cmd, expected in cmds:
            self.ran += 1
            if transcript and cmd.strip() == "echo $?":
                code, out = 0, f"{last_code}\n"
            else:
                code, out = self.run_cmd(self.to_sandbox(cmd))
            last_code = code
            if not transcript and code != 0:
                return self.fail(block, f"`{cmd}` exit {code}:\n{out}")
            problem = self.mismatch(expected, out) if transcript else None
            if problem:
                return self.fail(block, f"`{cmd}`: {problem}; it printed:\n{out}"
                                 "--- the doc shows:\n" + "\n".join(expected))
        print(f"ok   {block.where()}: {len(cmds)} shell commands")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--cxx", default="c++")
    ap.add_argument("--flags", default="", help="extra compile/link flags (sanitizers)")
    ap.add_argument("--keep", action="store_true", help="keep the sandbox")
    ap.add_argument("docs", nargs="+", help="markdown files, relative to --source-dir")
    opts = ap.parse_args()
    opts.source_dir = os.path.abspath(opts.source_dir)
    sandbox = tempfile.mkdtemp(prefix="drift-doc-examples-")
    runner = Runner(opts, sandbox)
    try:
        for doc in opts.docs:
            blocks = parse_blocks(os.path.join(opts.source_dir, doc), doc)
            fragments = {}
            for b in blocks:  # fragment programs run where their first block is
                if b.kind == "example" and "fragment" in b.args:
                    fragments.setdefault(b.args[0], []).append(b)
            for b in blocks:
                if b.kind == "shell":
                    runner.run_shell(b)
                elif option(b.args, "file"):
                    runner.write_file(b, option(b.args, "file"))
                elif "fragment" in b.args:
                    group = fragments[b.args[0]]
                    if group[0] is b:
                        runner.run_fragments(b.args[0], group)
                else:
                    runner.fail(b, f"drift-example needs file=PATH or 'NAME fragment dim=N'")
    finally:
        if opts.keep:
            print(f"sandbox kept: {sandbox}")
        else:
            shutil.rmtree(sandbox, ignore_errors=True)
    print(f"{runner.ran} examples and commands, {runner.failures} failed")
    return 1 if runner.failures or runner.ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
