/** The one script of every page: draws the page the path names into <main>. */
import { alertBox, show } from "./dom.js";
import { eventPage } from "./pages/event.js";
import { operationsPage } from "./pages/operations.js";
import { settingsPage } from "./pages/settings.js";
import { taskPage } from "./pages/task.js";
import { tasksPage } from "./pages/tasks.js";

const ROUTES = [
  [/^\/ui\/?$/, tasksPage, "tasks"],
  [/^\/ui\/tasks\/([^/]+)\/?$/, taskPage, "tasks"],
  [/^\/ui\/events\/([^/]+)\/?$/, eventPage, "tasks"],
  [/^\/ui\/operations\/?$/, operationsPage, "operations"],
  [/^\/ui\/settings\/?$/, settingsPage, "settings"],
];

async function main() {
  const root = document.getElementById("main");
  const path = location.pathname;
  const route = ROUTES.find(([pattern]) => pattern.test(path));
  if (!route) {
    document.title = "Not found · fleetledger";
    show(root, alertBox({ title: "No such page:", message: path }));
    return;
  }
  const [pattern, page, section] = route;
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
  }
  const argument = path.match(pattern)[1];
  try {
    await page(root, argument === undefined ? undefined : decodeURIComponent(argument));
  } catch (error) {
    show(root, alertBox(error, error.status === 401 ? tokenHint() : null));
  }
}

function tokenHint() {
  const link = document.createElement("a");
  link.href = "/ui/settings";
  link.textContent = "Give a token";
  const hint = document.createElement("p");
  hint.append(link, " (fleetledger principals token NAME prints one).");
  return hint;
}

main();
