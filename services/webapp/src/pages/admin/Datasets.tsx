// "Datasets" (org Admins): the organization's datasets and a form to make a new one (a name and
// whether it holds images or texts); a new dataset opens on its own page, ready for uploads.

import { useId, useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { Dataset, DatasetKind } from "../../api/types";
import { Empty, ErrorBanner, Loading, formatDate } from "../../components/status";
import { usePaged } from "../../components/usePaged";
import { Link, navigate, paths, useTitle } from "../../router";
import { ActionProblem, useAction } from "./common";

export function kindWords(kind: DatasetKind): string {
  return kind === "image" ? "Images" : "Texts";
}

export function Datasets() {
  useTitle("Datasets");
  const datasets = usePaged<Dataset>("/api/v1/datasets?limit=100");

  return (
    <>
      <div className="page-head">
        <h1>Datasets</h1>
        <button type="button" onClick={datasets.reload} disabled={datasets.loading}>
          Refresh
        </button>
      </div>
      <p className="lead">The data your projects label. Files are encrypted as they are uploaded.</p>
      <NewDataset />
      <section aria-labelledby="datasets-heading" className="section">
        <h2 id="datasets-heading">All datasets</h2>
        {datasets.problem ? <ErrorBanner problem={datasets.problem} onRetry={datasets.reload} /> : null}
        {datasets.loading ? <Loading what="the datasets" /> : null}
        {!datasets.loading && !datasets.problem && datasets.items.length === 0 ? (
          <Empty>There are no datasets yet. Make one above, then upload files into it.</Empty>
        ) : null}
        {datasets.items.length > 0 ? (
          <table className="table">
            <caption className="visually-hidden">Datasets</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Holds</th>
                <th scope="col">Stored in</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {datasets.items.map((dataset) => (
                <tr key={dataset.id}>
                  <td>
                    <Link to={paths.dataset(dataset.id)}>{dataset.name}</Link>
                  </td>
                  <td>{kindWords(dataset.kind)}</td>
                  <td>{dataset.storage ? `Your bucket ${dataset.storage.bucket}` : "The organization's storage"}</td>
                  <td>{formatDate(dataset.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {datasets.hasMore ? (
          <p>
            <button type="button" onClick={datasets.loadMore} disabled={datasets.loadingMore}>
              {datasets.loadingMore ? "Loading…" : "Load more datasets"}
            </button>
          </p>
        ) : null}
      </section>
    </>
  );
}

function NewDataset() {
  const ids = { heading: useId(), name: useId(), kind: useId() };
  const [name, setName] = useState("");
  const [kind, setKind] = useState<DatasetKind>("image");
  const [error, setError] = useState<string | null>(null);
  const action = useAction();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const title = name.trim();
    if (!title || title.length > 200) {
      setError("Give the dataset a name (up to 200 characters).");
      return;
    }
    setError(null);
    await action.run(async () => {
      const dataset = await api.post<Dataset>("/api/v1/datasets", { name: title, kind });
      navigate(paths.dataset(dataset.id));
    });
  }

  return (
    <section aria-labelledby={ids.heading} className="section">
      <h2 id={ids.heading}>New dataset</h2>
      <form className="inline-form" onSubmit={submit} noValidate aria-labelledby={ids.heading}>
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input id={ids.name} type="text" value={name} onChange={(event) => setName(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.kind}>Kind</label>
          <select id={ids.kind} value={kind} onChange={(event) => setKind(event.target.value as DatasetKind)}>
            <option value="image">Images</option>
            <option value="text">Texts</option>
          </select>
        </div>
        <button type="submit" className="primary" disabled={action.busy}>
          Create dataset
        </button>
      </form>
      {error ? (
        <p className="field-error" role="alert">
          {error}
        </p>
      ) : null}
      <ActionProblem action={action} />
    </section>
  );
}
