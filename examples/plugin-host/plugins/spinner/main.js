// A plugin that never answers: it loops forever, the way a buggy or hostile
// plugin can. At the process tier the host's supervisor ends its process once
// it has used its CPU budget (`budget: cpu`); the other plugins keep running.
export const run = () => {
  while (true) {
    // spin
  }
};
