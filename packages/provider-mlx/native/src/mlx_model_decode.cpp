#include "js_values.h"
#include "mlx_model.h"

#include <algorithm>

// MlxModel's batched calls: prefillBatch (prompt pieces of several sequences), stepBatch (one
// decode step) and decodeBatch (several decode steps per call).
namespace heylook {

// prefillBatch(sequences: Int32Array, tokens: Int32Array, lengths: Int32Array, sampling: object[]) → Promise<Int32Array>
// Prompt pieces of several sequences in one forward pass: sequence i is fed the next lengths[i]
// ids of `tokens` (the pieces one after another), then samples its next token, out[i].
Napi::Value MlxModel::PrefillBatch(const Napi::CallbackInfo& info) {
  std::vector<int> ids = tokensOf(info[0]);
  std::vector<int> tokens = tokensOf(info[1]);
  std::vector<int> lengths = tokensOf(info[2]);
  std::vector<StepOptions> options = batchOptions(info, ids, lengths, 3);
  int total = 0;
  for (int length : lengths) total += length;
  if (std::any_of(lengths.begin(), lengths.end(), [](int length) { return length < 1; }) || total != static_cast<int>(tokens.size())) {
    throw Napi::TypeError::New(info.Env(), "prefillBatch needs one length of at least 1 per sequence, adding up to the tokens given");
  }
  std::vector<int> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) throw Napi::TypeError::New(info.Env(), "prefillBatch takes each sequence once");
  return schedule(info.Env(), [this, ids = std::move(ids), tokens = std::move(tokens), lengths = std::move(lengths), options = std::move(options)]() -> Result {
    std::vector<KvCache*> caches;
    std::vector<int> lasts;
    for (size_t row = 0, end = 0; row < ids.size(); ++row) {
      caches.push_back(&sequence(ids[row]).cache);
      end += lengths[row];
      lasts.push_back(static_cast<int>(end) - 1);
    }
    mx::array input(tokens.data(), {1, static_cast<int>(tokens.size())}, mx::int32);
    mx::array hidden = model().hidden_packed(input, caches, lengths);
    // Only each piece's last position is sampled.
    mx::array last = mx::take(hidden, mx::array(lasts.data(), {static_cast<int>(lasts.size())}, mx::int32), 1);
    eval_with_caches({last}, caches);
    std::vector<float> all = toVector(model().all_logits(last));
    const size_t vocab = all.size() / ids.size();
    std::vector<int> picks;
    for (size_t row = 0, start = 0; row < ids.size(); start += lengths[row++]) {
      Sequence& seq = sequence(ids[row]);
      seq.tokens.insert(seq.tokens.end(), tokens.begin() + start, tokens.begin() + start + lengths[row]);
      if (options[row].reseed) seq.sampler.reseed(options[row].seed);
      picks.push_back(seq.sampler.sample(std::vector<float>(all.begin() + row * vocab, all.begin() + (row + 1) * vocab), options[row].params, seq.tokens));
    }
    return picks;
  });
}

// stepBatch(sequences: Int32Array, tokens: Int32Array, sampling: object[]) → Promise<Int32Array>
// One decode step for several sequences in one forward pass: sequence i is fed tokens[i] and
// its next token is out[i]. Sequences must already hold their prompt.
Napi::Value MlxModel::StepBatch(const Napi::CallbackInfo& info) {
  std::vector<int> ids = tokensOf(info[0]);
  std::vector<int> tokens = tokensOf(info[1]);
  std::vector<StepOptions> options = batchOptions(info, ids, tokens);
  const std::vector<int> steps(ids.size(), 1);
  return schedule(info.Env(), [this, ids = std::move(ids), tokens = std::move(tokens), options = std::move(options), steps]() -> Result {
    std::vector<int> picks;
    for (const std::vector<int>& row : decodeRows(ids, tokens, options, steps, {})) picks.push_back(row.front());
    return picks;
  });
}

// decodeBatch(sequences: Int32Array, tokens: Int32Array, sampling: object[], steps: Int32Array, stops: Int32Array)
//   → Promise<Int32Array>
// Up to steps[i] decode steps for each sequence without returning to JS: sequence i is fed
// tokens[i], then each token it samples, and stops early after sampling one of `stops` (which
// is returned, not fed). out = [count of row 0, …, count of row n-1, row 0's tokens, row 1's, …];
// each row's last token is not evaluated yet, as with stepBatch.
Napi::Value MlxModel::DecodeBatch(const Napi::CallbackInfo& info) {
  std::vector<int> ids = tokensOf(info[0]);
  std::vector<int> tokens = tokensOf(info[1]);
  std::vector<StepOptions> options = batchOptions(info, ids, tokens);
  std::vector<int> steps = tokensOf(info[3]);
  std::vector<int> stops = tokensOf(info[4]);
  if (steps.size() != ids.size() || std::any_of(steps.begin(), steps.end(), [](int count) { return count < 1; })) {
    throw Napi::TypeError::New(info.Env(), "decodeBatch needs one step count of at least 1 per sequence");
  }
  for (size_t row = 0; row < ids.size(); ++row) {
    // A grammar's mask is for one token: the next one needs the grammar to have seen this one.
    if (steps[row] > 1 && !options[row].params.allowed.empty()) throw Napi::TypeError::New(info.Env(), "a sequence with `allowed` decodes one step at a time");
  }
  return schedule(info.Env(), [this, ids = std::move(ids), tokens = std::move(tokens), options = std::move(options), steps = std::move(steps),
                               stops = std::move(stops)]() -> Result {
    std::vector<std::vector<int>> rows = decodeRows(ids, tokens, options, steps, stops);
    std::vector<int> out;
    for (const std::vector<int>& row : rows) out.push_back(static_cast<int>(row.size()));
    for (const std::vector<int>& row : rows) out.insert(out.end(), row.begin(), row.end());
    return out;
  });
}

std::vector<MlxModel::StepOptions> MlxModel::batchOptions(const Napi::CallbackInfo& info, const std::vector<int>& ids,
                                                          const std::vector<int>& rows, size_t sampling_at) {
  if (ids.empty() || ids.size() != rows.size() || !info[sampling_at].IsArray()) {
    throw Napi::TypeError::New(info.Env(), "sequences: Int32Array, one entry per sequence in the next Int32Array, sampling: object[] with equal lengths");
  }
  Napi::Array samplingArray = info[sampling_at].As<Napi::Array>();
  std::vector<StepOptions> options;
  for (uint32_t index = 0; index < samplingArray.Length(); ++index) options.push_back(stepOptions(info.Env(), samplingArray.Get(index)));
  if (options.size() != ids.size()) throw Napi::TypeError::New(info.Env(), "one sampling object per sequence");
  return options;
}

std::vector<std::vector<int>> MlxModel::decodeRows(const std::vector<int>& ids, const std::vector<int>& tokens,
                                                   const std::vector<StepOptions>& options, const std::vector<int>& steps,
                                                   const std::vector<int>& stops) {
  std::vector<std::vector<int>> rows(ids.size());
  std::vector<int> fed = tokens;
  for (;;) {
    // Rows still decoding: below their step count and not ended by a stop id.
    std::vector<size_t> active;
    for (size_t row = 0; row < ids.size(); ++row) {
      const bool stopped = !rows[row].empty() && std::find(stops.begin(), stops.end(), rows[row].back()) != stops.end();
      if (static_cast<int>(rows[row].size()) < steps[row] && !stopped) active.push_back(row);
    }
    if (active.empty()) return rows;
    std::vector<KvCache*> caches;
    std::vector<int> input_tokens;
    for (size_t row : active) {
      caches.push_back(&sequence(ids[row]).cache);
      input_tokens.push_back(fed[row]);
    }
    mx::array input(input_tokens.data(), {static_cast<int>(input_tokens.size()), 1}, mx::int32);
    // One row needs none of the batch's per-row slicing, padding and masks: a smaller graph.
    mx::array hidden = caches.size() == 1 ? model().hidden(input, *caches[0]) : model().hidden_batch(input, caches);
    eval_with_caches({hidden}, caches);
    std::vector<float> all = toVector(model().all_logits(mx::reshape(hidden, {1, hidden.shape(0), hidden.shape(2)})));
    const size_t vocab = all.size() / active.size();
    for (size_t index = 0; index < active.size(); ++index) {
      const size_t row = active[index];
      Sequence& seq = sequence(ids[row]);
      seq.tokens.push_back(fed[row]);
      std::vector<float> logits(all.begin() + index * vocab, all.begin() + (index + 1) * vocab);
      fed[row] = seq.sampler.sample(std::move(logits), options[row].params, seq.tokens);
      rows[row].push_back(fed[row]);
    }
    // Let MLX's CPU stream finish this step's trailing work before the next step's graph is
    // built: overlapping them measured ~10% slower per token on a 2-core machine.
    mx::synchronize();
  }
}

}  // namespace heylook
