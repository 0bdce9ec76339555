/** Item 1: `decide()` (rules as data) against the same rulings written by hand. */
import { isDeepStrictEqual } from 'node:util';
import { decide, matchRule, type DecisionInput } from '../../src/decision/decide';
import { decideByHand, ruleByHand } from '../baselines/decide-by-hand';
import { vocabularyInputs } from '../fixtures';
import { costRatios, measureRates, sink, type RateCase } from '../lib/measure';
import { atMost, measured, ratioOf, type Figure } from '../lib/report';
import { sized, type Suite } from '../lib/suite';

/** Refuses to time a baseline that does not give the same answers. */
function checkSameRulings(inputs: readonly DecisionInput[]): void {
  for (const input of inputs) {
    const expected = decide(input);
    const actual = decideByHand(input);
    if (!isDeepStrictEqual(actual, expected)) {
      throw new Error(`the hand-written baseline disagrees with decide() on ${JSON.stringify(input)}:\n${JSON.stringify(actual)}\n${JSON.stringify(expected)}`);
    }
    if (ruleByHand(input) !== matchRule(input).id) throw new Error(`ruleByHand disagrees with matchRule on ${JSON.stringify(input)}`);
  }
}

function repeatedCase(label: string, inputs: readonly DecisionInput[], rounds: number, fn: (input: DecisionInput) => unknown): RateCase {
  return {
    label,
    ops: inputs.length * rounds,
    prepare: () => () => {
      let last: unknown;
      for (let round = 0; round < rounds; round++) for (const input of inputs) last = fn(input);
      sink.value = last;
    },
  };
}

export const decisionSuite: Suite = {
  name: 'decision',
  item: 1,
  title: '`decide()` against a hand-written `switch` of the same rulings',
  run({ mode, runs }) {
    const inputs = vocabularyInputs();
    checkSameRulings(inputs);
    const rounds = sized(mode, 40, 400);
    const [decideRates, handRates, matchRates, ruleRates] = measureRates(
      [
        repeatedCase('decide()', inputs, rounds, decide),
        repeatedCase('hand-written switch', inputs, rounds, decideByHand),
        repeatedCase('matchRule() (rule lookup only)', inputs, rounds, matchRule),
        repeatedCase('hand-written rule lookup', inputs, rounds, ruleByHand),
      ],
      runs,
    );
    const figures: Figure[] = [];
    const decideRatio = costRatios(decideRates!, handRates!);
    figures.push({
      key: 'decision.decide',
      subject: measured('`decide()`, every vocabulary pair', 'decisions/s', decideRates!.rates, decideRates!.wallRates),
      baseline: measured('hand-written `switch`', 'decisions/s', handRates!.rates, handRates!.wallRates),
      ratio: ratioOf(decideRatio, 'the cost'),
      target: atMost(ratioOf(decideRatio, '').value, 2, '≤ 2× the switch'),
    });
    figures.push({
      key: 'decision.match',
      subject: measured('`matchRule()` (the rule only, no decision object)', 'lookups/s', matchRates!.rates, matchRates!.wallRates),
      baseline: measured('hand-written rule lookup', 'lookups/s', ruleRates!.rates, ruleRates!.wallRates),
      ratio: ratioOf(costRatios(matchRates!, ruleRates!), 'the cost'),
      note: 'where the cost of the rules table lies',
    });
    return {
      figures,
      notes: [
        `The inputs are all ${inputs.length} inputs of the vocabulary: 7 statuses × 35 execution statuses, on Open Finance and not, plus the deletion signal; parsed items carrying what Pluggy sends with each pair (MFA parameter, user action, statusDetail).`,
        'Before timing, the bench checks that the hand-written function returns a decision deep-equal to `decide()` on every input; a disagreement aborts the run.',
      ],
      params: { inputs: inputs.length, 'rounds per run': rounds, runs },
    };
  },
};
