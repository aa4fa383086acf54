// The ontology's questions about the whole item: a radio group (one answer) or a checkbox group
// (several), each a fieldset named by the question.

import { useId } from "react";
import type { Classification } from "../api/types";

export function Classifications({
  questions,
  answers,
  onChange,
  readOnly,
}: {
  questions: readonly Classification[];
  answers: Readonly<Record<string, readonly string[]>>;
  onChange: (name: string, option: string, multiple: boolean) => void;
  readOnly: boolean;
}) {
  if (questions.length === 0) return null;
  return (
    <section className="classifications" aria-labelledby="classifications-heading">
      <h2 id="classifications-heading">Classifications</h2>
      {questions.map((question) => (
        <Question
          key={question.name}
          question={question}
          values={answers[question.name] ?? []}
          onChange={onChange}
          readOnly={readOnly}
        />
      ))}
    </section>
  );
}

function Question({
  question,
  values,
  onChange,
  readOnly,
}: {
  question: Classification;
  values: readonly string[];
  onChange: (name: string, option: string, multiple: boolean) => void;
  readOnly: boolean;
}) {
  const name = useId();
  const type = question.multiple ? "checkbox" : "radio";
  return (
    <fieldset className="question" disabled={readOnly}>
      <legend>{question.name}</legend>
      {question.options.map((option) => (
        <label key={option} className="choice">
          <input
            type={type}
            name={name}
            value={option}
            checked={values.includes(option)}
            onChange={() => onChange(question.name, option, question.multiple)}
          />
          {option}
        </label>
      ))}
    </fieldset>
  );
}
