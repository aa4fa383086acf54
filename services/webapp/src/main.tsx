import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { StepUpDone } from "./components/StepUpDone";
import { isStepUpReturn } from "./components/stepUpChannel";
import "./styles/base.css";
import "./styles/editor.css";
import "./styles/admin.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element");
createRoot(root).render(
  <StrictMode>
    {isStepUpReturn(window.location.search) ? <StepUpDone /> : <App />}
  </StrictMode>,
);
