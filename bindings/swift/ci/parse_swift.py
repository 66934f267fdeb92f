"""Parses Swift files with tree-sitter-swift and fails on any syntax error, so that the
generated bindings and the hand-written wrappers and tests are checked on a machine
without a Swift toolchain.

usage: parse_swift.py FILE...
"""

import sys

import tree_sitter
import tree_sitter_swift


def errors(node, out):
    if node.type == "ERROR" or node.is_missing:
        out.append(node)
    for child in node.children:
        errors(child, out)
    return out


# Two valid constructs of uniffi's output that tree-sitter-swift 0.7 does not parse: the
# underscored attribute on its internal declarations, and a closure whose body is the empty
# tuple. They are blanked out (same length, so positions stay right) before parsing.
UNKNOWN_TO_THE_GRAMMAR = [(b"@_documentation(visibility: private)", b""), (b"{ () }", b"{}")]


def source(path):
    text = open(path, "rb").read()
    for construct, kept in UNKNOWN_TO_THE_GRAMMAR:
        text = text.replace(construct, kept + b" " * (len(construct) - len(kept)))
    return text


def main(paths):
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_swift.language()))
    failures = 0
    for path in paths:
        tree = parser.parse(source(path))
        found = errors(tree.root_node, [])
        for e in found[:5]:
            print(f"FAIL {path}:{e.start_point[0] + 1}:{e.start_point[1] + 1}: syntax error near {e.text[:60]!r}")
        failures += bool(found)
    print(f"{len(paths) - failures} passed, {failures} failed (Swift files parsed)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
