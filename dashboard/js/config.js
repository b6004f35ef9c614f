// Where the API is: "" (same origin) locally; the deployed site's config.json names the API's URL.
let loaded = null;

export async function config() {
  if (loaded === null) {
    try {
      const response = await fetch("/dashboard/config.json", { cache: "no-cache" });
      loaded = response.ok ? await response.json() : {};
    } catch {
      loaded = {};
    }
    loaded = { api_base: "", local_sign_in: false, ...loaded };
  }
  return loaded;
}
