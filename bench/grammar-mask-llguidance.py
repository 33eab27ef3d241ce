# The llguidance half of bench/grammar-mask.mjs, which runs it with PYTHONPATH set to the pinned
# install from bench/install-grammar-bench.mjs. Reads a job (the token list as hex bytes, special
# tokens as {"special": name}, the byte-fallback ids, the stop token, the answer, the grammars),
# picks for each grammar the token walk of the answer that both engines then time, and prints the
# walks and the same measurements as the xgrammar half, as JSON.
import json
import statistics
import sys
import time
from importlib.metadata import version

import llguidance
import llguidance.numpy
import numpy


class GreedyTokenizer:
    """The tokenizer llguidance's TokenizerWrapper expects: token bytes (special tokens marked
    with a leading 0xff, as llguidance's own llama.cpp adapter does) and an encode function.
    llguidance encodes the text a grammar forces with it and allows only that tokenization there;
    greedy longest match stands in for the model's tokenizer (see bench/GRAMMAR.md)."""

    def __init__(self, tokens, byte_fallback, eos):
        self.tokens = [b"\xff" + token["special"].encode() if isinstance(token, dict) else bytes.fromhex(token) for token in tokens]
        self.special_token_ids = [index for index, token in enumerate(tokens) if isinstance(token, dict)]
        self.eos_token_id = eos
        self.bos_token_id = None
        # Every id per byte string, a SentencePiece <0x..> byte token after the plain token
        # with the same byte, as SentencePiece itself prefers.
        special, fallback = set(self.special_token_ids), set(byte_fallback)
        self.ids_by_bytes = {}
        for index in sorted(range(len(tokens)), key=lambda index: index in fallback):
            if index not in special and self.tokens[index]:
                self.ids_by_bytes.setdefault(self.tokens[index], []).append(index)
        self.longest = max(len(token) for token in self.ids_by_bytes)

    def candidates(self, text, at):
        """Ids of the tokens that continue text at byte `at`, longest first."""
        for length in range(min(self.longest, len(text) - at), 0, -1):
            yield from ((length, index) for index in self.ids_by_bytes.get(text[at:at + length], []))

    def __call__(self, text):
        ids = []
        at = 0
        while at < len(text):
            choice = next(self.candidates(text, at), None)
            if choice is None:
                raise ValueError(f"no token holds byte {text[at]}")
            length, index = choice
            ids.append(index)
            at += length
        return ids


SETUP_ROUNDS = 6


def setup_times(times):
    """The first round apart from the median of the rest, as the xgrammar half reports them."""
    return {"first": times[0], "warm": statistics.median(times[1:])}


def timed_ms(work):
    started = time.perf_counter()
    value = work()
    return value, (time.perf_counter() - started) * 1000


def summary(samples):
    ordered = sorted(samples)
    at = lambda fraction: ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
    return {"min": ordered[0], "median": at(0.5), "p95": at(0.95), "max": ordered[-1]}


class Mask:
    """One bitmask row, filled in place through the pointer API (no per-call Python checks)."""

    def __init__(self, tokenizer):
        self.row = llguidance.numpy.allocate_token_bitmask(1, tokenizer.vocab_size)[0, :]
        self.pointer, self.size = self.row.ctypes.data, self.row.size * self.row.itemsize

    def fill(self, matcher):
        matcher.unsafe_compute_mask_ptr(self.pointer, self.size)

    def allows(self, token):
        return (int(self.row[token >> 5]) >> (token & 31)) & 1 == 1

    def count(self):
        return int(numpy.unpackbits(self.row.view(numpy.uint8)).sum())


def pick_walk(tokenizer, wrapped, grammar, answer):
    """The answer's tokens, each the longest token continuing it that llguidance allows."""
    matcher = llguidance.LLMatcher(tokenizer, grammar, log_level=0)
    mask = Mask(tokenizer)
    walk = []
    at = 0
    while at < len(answer):
        mask.fill(matcher)
        choice = next(((length, index) for length, index in wrapped.candidates(answer, at) if mask.allows(index)), None)
        if choice is None:
            raise SystemExit(f"llguidance allows no token continuing the answer at byte {at}: {matcher.get_error()}")
        matcher.consume_token(choice[1])
        walk.append(choice[1])
        at += choice[0]
    return walk


def walk_once(tokenizer, grammar, walk, eos):
    """Per-token µs for mask + consume, checking each token is allowed; mean tokens allowed per step."""
    matcher = llguidance.LLMatcher(tokenizer, grammar, log_level=0)
    mask = Mask(tokenizer)
    samples = []
    allowed = 0
    for step, token in enumerate(walk + [eos]):
        started = time.perf_counter_ns()
        mask.fill(matcher)
        accepted = matcher.consume_token(token)
        samples.append((time.perf_counter_ns() - started) / 1000)
        if not mask.allows(token) or not accepted:
            raise SystemExit(f"llguidance rejected token {token} at step {step}: {matcher.get_error()}")
        allowed += mask.count()
    if not matcher.is_stopped():
        raise SystemExit("llguidance did not stop after the stop token")
    return samples, allowed / len(samples)


def main():
    with open(sys.argv[1]) as file:
        job = json.load(file)
    wrapped = GreedyTokenizer(job["tokens"], job["byteFallback"], job["eos"])
    wrapper = llguidance.TokenizerWrapper(wrapped)
    answer = job["answer"].encode()
    info_times = [timed_ms(lambda: llguidance.LLTokenizer(wrapper))[1] for _ in range(SETUP_ROUNDS)]
    tokenizer = llguidance.LLTokenizer(wrapper)
    results = {}
    walks = {}
    for name, schema in job["grammars"].items():
        grammar = llguidance.LLMatcher.grammar_from_json_schema(schema)
        compile_times = []
        for _ in range(SETUP_ROUNDS):
            matcher, milliseconds = timed_ms(lambda: llguidance.LLMatcher(tokenizer, grammar, log_level=0))
            if matcher.is_error():
                raise SystemExit(f"llguidance could not compile {name}: {matcher.get_error()}")
            compile_times.append(milliseconds)
        walk = walks[name] = pick_walk(tokenizer, wrapped, grammar, answer)
        cold, mean_allowed = walk_once(tokenizer, grammar, walk, job["eos"])
        samples = []
        for _ in range(job["runs"]):
            samples += walk_once(tokenizer, grammar, walk, job["eos"])[0]
        results[name] = {
            "compileMs": setup_times(compile_times),
            "coldWalkMs": sum(cold) / 1000,
            "perToken": summary(samples),
            "meanAllowed": mean_allowed,
        }
    versions = {"llguidance": version("llguidance"), "python": sys.version.split()[0]}
    print(json.dumps({"tokenizerInfoMs": setup_times(info_times), "grammars": results, "walks": walks, "versions": versions}))


main()
