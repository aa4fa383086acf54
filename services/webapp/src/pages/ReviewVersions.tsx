// "Versions": every annotation version of the task, oldest first, each with who made it, what it
// holds and the reviews it got; tick two to see them side by side, read-only.

import { useId, useMemo, useState } from "react";
import type { AnnotationVersion, OntologyDefinition, Review } from "../api/types";
import { formatDate } from "../components/status";
import { byVersion, comparedPair, contentsWords, reviewsByVersion, togglePick } from "../editor/review";
import type { RenderEditor } from "../editor/Workspace";
import { ReadOnlyAnnotation, ReviewWords, usePeopleNames } from "./ReviewParts";

export function ReviewVersions({
  versions,
  reviews,
  definition,
  kind,
  resultVersionId,
  renderEditor,
}: {
  versions: readonly AnnotationVersion[];
  reviews: readonly Review[];
  definition: OntologyDefinition;
  kind: "image" | "text";
  resultVersionId?: string | null;
  renderEditor: RenderEditor;
}) {
  const headingId = useId();
  const hintId = useId();
  const ordered = useMemo(() => byVersion(versions), [versions]);
  const reviewed = useMemo(() => reviewsByVersion(reviews), [reviews]);
  const names = usePeopleNames(ordered, reviews);
  const [picked, setPicked] = useState<string[]>([]);
  const pair = comparedPair(picked, ordered);

  return (
    <section className="versions" aria-labelledby={headingId}>
      <h2 id={headingId}>Versions</h2>
      {ordered.length === 0 ? (
        <p className="status status-empty">No version has been submitted yet.</p>
      ) : (
        <>
          <p id={hintId} className="meta">
            Tick two versions to compare them side by side.
          </p>
          <ol className="version-list" aria-label="Versions" aria-describedby={hintId}>
            {ordered.map((version) => {
              const got = reviewed.get(version.id) ?? [];
              const checked = picked.includes(version.id);
              return (
                <li key={version.id} className={checked ? "is-picked" : undefined}>
                  <label className="choice">
                    <input
                      type="checkbox"
                      checked={checked}
                      onChange={() => setPicked((current) => togglePick(current, version.id))}
                    />
                    Version {version.version}
                  </label>
                  <span className="meta">
                    by {names.author(version.author_id)}, {formatDate(version.created_at)} ·{" "}
                    {version.skipped ? "skipped by its annotator" : contentsWords(version.payload)}
                    {version.id === resultVersionId ? " · the task's result" : ""}
                  </span>
                  {got.length > 0 ? (
                    <ul className="version-reviews">
                      {got.map((review) => (
                        <li key={review.id} className={`review-${review.decision}`}>
                          <ReviewWords review={review} reviewer={names.reviewer(review.reviewer_id)} />
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </li>
              );
            })}
          </ol>
          {picked.length === 1 ? <p className="meta">Tick one more version to compare.</p> : null}
          {pair ? (
            <div className="compare" role="group" aria-label={`Version ${pair[0].version} and version ${pair[1].version} side by side`}>
              {pair.map((version) => (
                <section key={version.id} className="compare-column" aria-label={`Version ${version.version}`}>
                  <h3>
                    Version {version.version} <span className="meta">by {names.author(version.author_id)}</span>
                  </h3>
                  <ReadOnlyAnnotation
                    version={version}
                    name={`Version ${version.version}, read only`}
                    kind={kind}
                    definition={definition}
                    renderEditor={renderEditor}
                  />
                  {(reviewed.get(version.id) ?? []).map((review) => (
                    <p key={review.id} className={`compare-review review-${review.decision}`}>
                      <ReviewWords review={review} reviewer={names.reviewer(review.reviewer_id)} />
                    </p>
                  ))}
                </section>
              ))}
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}
