/* dlref: the one-hidden-layer playground of the universal-approximation page.
 *
 * g(x) = sum_j a_j phi(w_j x + b_j) + c, trained on a 1-D target by full-batch Adam
 * on the mean squared error, in float32 arithmetic (Float32Array storage, Math.fround
 * after every operation), as PyTorch computes it. The initial weights follow
 * nn.Linear's default initialisation, drawn from a seeded mulberry32 generator.
 * tests/test_widgets.py compares the forward pass, the gradients and Adam steps with
 * PyTorch's on data the build exports (assets/widgets/playground.json), and runs the
 * reference training there through the controls. Attaches to <div class="dlref-playground">.
 */
(function () {
  "use strict";

  var f = Math.fround;
  var N_POINTS = 161; // training inputs, evenly spaced on [-2, 2]
  var N_DRAW = 401;
  var MAX_STEPS = 20000;
  var BETA1 = 0.9, BETA2 = 0.999, EPS = 1e-8;

  var TARGETS = {
    wave: function (x) { return Math.sin(3 * x) + 0.3 * x * x; },
    step: function (x) { return x >= 0 ? 1 : 0; },
    abs: function (x) { return Math.abs(x); },
    bump: function (x) { return Math.exp(-4 * x * x); },
  };

  var ACTIVATIONS = {
    relu: {
      f: function (z) { return z > 0 ? z : 0; },
      d: function (z, y) { return y > 0 ? 1 : 0; }, // as torch: the gradient passes where the output is positive
    },
    tanh: {
      f: function (z) { return f(Math.tanh(z)); },
      d: function (z, y) { return f(1 - f(y * y)); },
    },
    sigmoid: {
      f: function (z) { return f(1 / f(1 + f(Math.exp(-z)))); },
      d: function (z, y) { return f(f(1 - y) * y); },
    },
    identity: {
      f: function (z) { return z; },
      d: function () { return 1; },
    },
  };

  var TEXT = {
    en: {
      target: "Target", activation: "Activation", width: "Width (hidden units)",
      lr: "Learning rate", seed: "Seed",
      targets: { wave: "sin 3x + 0.3x\u00b2", step: "step 1[x \u2265 0]", abs: "|x|", bump: "bump e^(\u22124x\u00b2)" },
      activations: { relu: "ReLU", tanh: "tanh", sigmoid: "sigmoid", identity: "identity" },
      train: "Train", pause: "Pause", reset: "New weights", reference: "Reference run",
      status: "step {step} \u00b7 mean squared error {mse}",
      fitTitle: "target (grey) and the network's output g(x) (blue), on [\u22122, 2]",
      unitsTitle: "each hidden unit's contribution a\u2c7c\u00b7\u03c6(w\u2c7cx + b\u2c7c)",
      referenceText: "Reference run: seed {seed}, {width} {activation} units, the {target}, learning rate {lr}. " +
        "PyTorch, run by the build from the same initial weights, reaches a mean squared error of {mse} after " +
        "{steps} steps.",
      referenceHere: "This browser: {mse} after {steps} steps.",
      running: "running\u2026", space: " ",
      fitLabel: "Fit of the network to the target",
      unitsLabel: "Contributions of the hidden units",
    },
    zh: {
      target: "目标函数", activation: "激活函数", width: "宽度（隐藏单元数）",
      lr: "学习率", seed: "随机种子",
      targets: { wave: "sin 3x + 0.3x\u00b2", step: "阶跃 1[x \u2265 0]", abs: "|x|", bump: "凸起 e^(\u22124x\u00b2)" },
      activations: { relu: "ReLU", tanh: "tanh", sigmoid: "Sigmoid", identity: "恒等" },
      train: "训练", pause: "暂停", reset: "重新初始化", reference: "参考运行",
      status: "第 {step} 步 \u00b7 均方误差 {mse}",
      fitTitle: "目标函数（灰）与网络输出 g(x)（蓝），区间 [\u22122, 2]",
      unitsTitle: "每个隐藏单元的贡献 a\u2c7c\u00b7\u03c6(w\u2c7cx + b\u2c7c)",
      referenceText: "参考运行：随机种子 {seed}，{width} 个 {activation} 单元，目标为{target}，学习率 {lr}。" +
        "构建时 PyTorch 从同样的初始权重出发，训练 {steps} 步后均方误差为 {mse}。",
      referenceHere: "本浏览器：训练 {steps} 步后为 {mse}。",
      running: "运行中……", space: "",
      fitLabel: "网络对目标函数的拟合",
      unitsLabel: "各隐藏单元的贡献",
    },
  };

  function fillText(template, args) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return key in args ? String(args[key]) : m; });
  }

  // --- the network, in float32 -------------------------------------------------------------

  function mulberry32(seed) {
    var a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = Math.imul(a ^ (a >>> 15), a | 1);
      t = (t + Math.imul(t ^ (t >>> 7), t | 61)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // nn.Linear's default: weights and biases uniform in (-1/sqrt(fan_in), 1/sqrt(fan_in)).
  function initParams(width, seed) {
    var rand = mulberry32(seed);
    function uniform(n, bound) {
      var out = new Float32Array(n);
      for (var i = 0; i < n; i++) out[i] = f(bound * (2 * rand() - 1));
      return out;
    }
    var w = uniform(width, 1), b = uniform(width, 1);
    var bound = 1 / Math.sqrt(width);
    var a = uniform(width, bound), c = uniform(1, bound);
    return { w: w, b: b, a: a, c: c };
  }

  function grid(n) {
    var xs = new Float32Array(n);
    for (var i = 0; i < n; i++) xs[i] = f(-2 + (4 * i) / (n - 1));
    return xs;
  }

  function targetValues(name, xs) {
    var ts = new Float32Array(xs.length);
    for (var i = 0; i < xs.length; i++) ts[i] = f(TARGETS[name](xs[i]));
    return ts;
  }

  // z[i*n + j] = w_j x_i + b_j, h = phi(z), y_i = sum_j a_j h_ij + c.
  function forward(p, act, xs) {
    var n = p.w.length, m = xs.length, phi = ACTIVATIONS[act].f;
    var h = new Float32Array(m * n), y = new Float32Array(m);
    for (var i = 0; i < m; i++) {
      var sum = 0;
      for (var j = 0; j < n; j++) {
        var hij = phi(f(f(xs[i] * p.w[j]) + p.b[j]));
        h[i * n + j] = hij;
        sum = f(sum + f(p.a[j] * hij));
      }
      y[i] = f(sum + p.c[0]);
    }
    return { h: h, y: y };
  }

  function meanSquaredError(y, ts) {
    var sum = 0;
    for (var i = 0; i < y.length; i++) {
      var r = f(y[i] - ts[i]);
      sum = f(sum + f(r * r));
    }
    return f(sum / y.length);
  }

  // Gradients of the mean squared error with respect to w, b, a, c (backpropagation).
  function gradients(p, act, xs, ts) {
    var n = p.w.length, m = xs.length, dphi = ACTIVATIONS[act].d;
    var out = forward(p, act, xs);
    var g = { w: new Float32Array(n), b: new Float32Array(n), a: new Float32Array(n), c: new Float32Array(1) };
    var norm = f(2 / m);
    for (var i = 0; i < m; i++) {
      var dy = f(f(out.y[i] - ts[i]) * norm);
      g.c[0] = f(g.c[0] + dy);
      for (var j = 0; j < n; j++) {
        var hij = out.h[i * n + j];
        g.a[j] = f(g.a[j] + f(dy * hij));
        var dz = f(f(dy * p.a[j]) * dphi(null, hij));
        g.w[j] = f(g.w[j] + f(dz * xs[i]));
        g.b[j] = f(g.b[j] + dz);
      }
    }
    return { grads: g, y: out.y, loss: meanSquaredError(out.y, ts) };
  }

  function newAdam(p) {
    var s = { step: 0 };
    ["w", "b", "a", "c"].forEach(function (k) {
      s["m" + k] = new Float32Array(p[k].length);
      s["v" + k] = new Float32Array(p[k].length);
    });
    return s;
  }

  // One step of torch.optim.Adam (its single-tensor loop, no weight decay, no amsgrad).
  function adamStep(p, g, s, lr) {
    s.step += 1;
    var bc1 = 1 - Math.pow(BETA1, s.step), bc2 = 1 - Math.pow(BETA2, s.step);
    var stepSize = f(lr / bc1), bc2Sqrt = f(Math.sqrt(bc2));
    var w1 = f(1 - BETA1), w2 = f(1 - BETA2), b2 = f(BETA2), eps = f(EPS);
    ["w", "b", "a", "c"].forEach(function (k) {
      var param = p[k], grad = g[k], m = s["m" + k], v = s["v" + k];
      for (var i = 0; i < param.length; i++) {
        m[i] = f(m[i] + f(w1 * f(grad[i] - m[i])));
        v[i] = f(f(v[i] * b2) + f(f(w2 * grad[i]) * grad[i]));
        var denom = f(f(f(Math.sqrt(v[i])) / bc2Sqrt) + eps);
        param[i] = f(param[i] - f(stepSize * f(m[i] / denom)));
      }
    });
  }

  function copyParams(p) {
    return { w: Float32Array.from(p.w), b: Float32Array.from(p.b), a: Float32Array.from(p.a), c: Float32Array.from(p.c) };
  }

  function toParams(obj) {
    return { w: Float32Array.from(obj.w), b: Float32Array.from(obj.b), a: Float32Array.from(obj.a), c: Float32Array.from(obj.c) };
  }

  function plain(p) {
    return { w: Array.from(p.w), b: Array.from(p.b), a: Array.from(p.a), c: Array.from(p.c) };
  }

  // What the test calls: forward pass, gradients and `steps` Adam steps on given numbers.
  function verify(spec) {
    var p = toParams(spec.params), xs = Float32Array.from(spec.x), ts = Float32Array.from(spec.t);
    var first = gradients(p, spec.activation, xs, ts);
    var s = newAdam(p), q = copyParams(p);
    for (var k = 0; k < spec.steps; k++) adamStep(q, gradients(q, spec.activation, xs, ts).grads, s, spec.lr);
    return { y: Array.from(first.y), loss: first.loss, grads: plain(first.grads), after: plain(q) };
  }

  // Train from seeded initial weights on the target; the loss after each of `steps` steps.
  function trainRun(spec) {
    var xs = grid(N_POINTS), ts = targetValues(spec.target, xs);
    var p = initParams(spec.width, spec.seed), s = newAdam(p), losses = [];
    for (var k = 0; k < spec.steps; k++) {
      var r = gradients(p, spec.activation, xs, ts);
      adamStep(p, r.grads, s, spec.lr);
      losses.push(r.loss);
    }
    losses.push(meanSquaredError(forward(p, spec.activation, xs).y, ts));
    return losses;
  }

  // --- the widget -------------------------------------------------------------------------

  var SVG = "http://www.w3.org/2000/svg";
  var uid = 0;

  function svgEl(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function formatError(v) {
    return v < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
  }

  function plotPanel(title, label) {
    var W = 640, H = 230;
    var svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, class: "dlref-playground__svg", role: "img",
      "aria-label": label });
    svgEl("rect", { x: 40, y: 20, width: W - 50, height: H - 45, class: "dlref-playground__frame" }, svg);
    var t = svgEl("text", { x: 40, y: 13 }, svg);
    t.textContent = title;
    [-2, -1, 0, 1, 2].forEach(function (x) {
      var label = svgEl("text", { x: 40 + ((x + 2) / 4) * (W - 50), y: H - 10, "text-anchor": "middle" }, svg);
      label.textContent = String(x).replace("-", "\u2212");
    });
    var yTop = svgEl("text", { x: 35, y: 28, "text-anchor": "end" }, svg);
    var yBottom = svgEl("text", { x: 35, y: H - 25, "text-anchor": "end" }, svg);
    var zero = svgEl("line", { x1: 40, x2: W - 10, class: "dlref-playground__zero" }, svg);
    var layer = svgEl("g", {}, svg);
    return {
      svg: svg, layer: layer,
      setRange: function (lo, hi) {
        this.lo = lo;
        this.hi = hi;
        yTop.textContent = hi.toPrecision(2).replace("-", "\u2212");
        yBottom.textContent = lo.toPrecision(2).replace("-", "\u2212");
        var y0 = this.py(0);
        zero.setAttribute("y1", y0);
        zero.setAttribute("y2", y0);
        zero.style.display = lo < 0 && hi > 0 ? "" : "none";
      },
      px: function (x) { return 40 + ((x + 2) / 4) * (W - 50); },
      py: function (y) { return 20 + (1 - (y - this.lo) / (this.hi - this.lo)) * (H - 45); },
      points: function (xs, ys) {
        var out = [];
        for (var i = 0; i < xs.length; i++) {
          var y = Math.max(this.lo - 1, Math.min(this.hi + 1, ys[i]));
          out.push(this.px(xs[i]).toFixed(1) + "," + this.py(y).toFixed(1));
        }
        return out.join(" ");
      },
    };
  }

  function build(root) {
    var lang = (document.documentElement.lang || "en").slice(0, 2) === "zh" ? "zh" : "en";
    var t = TEXT[lang];
    var id = "dlref-playground-" + ++uid;
    root.querySelectorAll(".dlref-widget__fallback").forEach(function (n) { n.remove(); });
    var form = document.createElement("form");
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    var controls = {};

    function field(name, node, extra) {
      var label = document.createElement("label");
      label.className = "dlref-widget__field";
      node.id = id + "-" + name;
      node.name = name;
      label.htmlFor = node.id;
      var span = document.createElement("span");
      span.textContent = t[name];
      label.appendChild(span);
      var row = document.createElement("span");
      row.className = "dlref-playground__row";
      row.appendChild(node);
      if (extra) row.appendChild(extra);
      label.appendChild(row);
      form.appendChild(label);
      controls[name] = node;
      return node;
    }

    function select(name, options, value) {
      var s = document.createElement("select");
      Object.keys(options).forEach(function (key) {
        var o = document.createElement("option");
        o.value = key;
        o.textContent = options[key];
        s.appendChild(o);
      });
      s.value = value;
      return field(name, s);
    }

    select("target", t.targets, "step");
    select("activation", t.activations, "relu");
    var width = document.createElement("input");
    width.type = "range";
    width.min = 1;
    width.max = 64;
    width.value = 16;
    var widthOut = document.createElement("output");
    widthOut.htmlFor = id + "-width";
    field("width", width, widthOut);
    select("lr", { "0.003": "0.003", "0.01": "0.01", "0.03": "0.03", "0.1": "0.1" }, "0.01");
    var seed = document.createElement("input");
    seed.type = "number";
    seed.min = 0;
    seed.max = 4294967295;
    seed.step = 1;
    seed.value = 1;
    field("seed", seed);

    var buttons = document.createElement("div");
    buttons.className = "dlref-playground__buttons";
    function button(name, text) {
      var b = document.createElement("button");
      b.type = "button";
      b.name = name;
      b.textContent = text;
      buttons.appendChild(b);
      return b;
    }
    var trainButton = button("train", t.train);
    var resetButton = button("reset", t.reset);
    var referenceButton = button("reference", t.reference);
    form.appendChild(buttons);

    var status = document.createElement("p");
    status.className = "dlref-playground__status";
    status.setAttribute("aria-live", "off");
    var fit = plotPanel(t.fitTitle, t.fitLabel), units = plotPanel(t.unitsTitle, t.unitsLabel);
    var target = svgEl("polyline", { class: "dlref-playground__target" }, fit.layer);
    var curve = svgEl("polyline", { class: "dlref-playground__fit" }, fit.layer);
    var reference = document.createElement("p");
    reference.className = "dlref-playground__reference";
    reference.setAttribute("aria-live", "polite");
    var referenceResult = document.createElement("span");
    referenceResult.className = "dlref-playground__reference-result";

    root.appendChild(form);
    root.appendChild(status);
    root.appendChild(fit.svg);
    root.appendChild(units.svg);
    root.appendChild(reference);

    var xs = grid(N_POINTS), xDraw = grid(N_DRAW);
    var state = null, running = false, frame = null, referenceSpec = null, referenceGoal = null;

    function reset() {
      var name = controls.target.value;
      var params = initParams(parseInt(width.value, 10), (parseInt(seed.value, 10) || 0) >>> 0);
      state = {
        target: name, activation: controls.activation.value, lr: parseFloat(controls.lr.value),
        ts: targetValues(name, xs), tDraw: targetValues(name, xDraw), p: params,
        adam: newAdam(params), step: 0, unitRange: 0,
      };
      var lo = Infinity, hi = -Infinity;
      state.tDraw.forEach(function (v) { lo = Math.min(lo, v); hi = Math.max(hi, v); });
      var pad = 0.25 * (hi - lo) + 0.1;
      fit.setRange(lo - pad, hi + pad);
      target.setAttribute("points", fit.points(xDraw, state.tDraw));
      widthOut.textContent = width.value;
      while (units.layer.firstChild) units.layer.removeChild(units.layer.firstChild);
      state.lines = [];
      for (var j = 0; j < params.w.length; j++) {
        state.lines.push(svgEl("polyline", { class: "dlref-playground__unit",
          style: "stroke: hsl(" + Math.round((j * 137.5) % 360) + ", 65%, 50%)" }, units.layer));
      }
      draw();
    }

    function draw() {
      var p = state.p, n = p.w.length, out = forward(p, state.activation, xDraw);
      curve.setAttribute("points", fit.points(xDraw, out.y));
      var biggest = 0, contributions = [];
      for (var j = 0; j < n; j++) {
        var ys = new Float32Array(N_DRAW);
        for (var i = 0; i < N_DRAW; i++) {
          ys[i] = p.a[j] * out.h[i * n + j];
          biggest = Math.max(biggest, Math.abs(ys[i]));
        }
        contributions.push(ys);
      }
      // the scale only grows, or shrinks by a lot, so the picture does not flicker
      if (biggest > state.unitRange || biggest < state.unitRange / 3) state.unitRange = Math.max(biggest * 1.15, 1e-3);
      units.setRange(-state.unitRange, state.unitRange);
      contributions.forEach(function (ys, j) { state.lines[j].setAttribute("points", units.points(xDraw, ys)); });
      var mse = meanSquaredError(forward(p, state.activation, xs).y, state.ts);
      state.mse = mse;
      status.textContent = fillText(t.status, { step: state.step, mse: formatError(mse) });
      root.setAttribute("data-step", String(state.step));
      root.setAttribute("data-mse", String(mse));
    }

    function trainSteps(k) {
      for (var i = 0; i < k && state.step < MAX_STEPS; i++) {
        adamStep(state.p, gradients(state.p, state.activation, xs, state.ts).grads, state.adam, state.lr);
        state.step += 1;
      }
    }

    function stop() {
      running = false;
      if (frame !== null) cancelAnimationFrame(frame);
      frame = null;
      trainButton.textContent = t.train;
      trainButton.setAttribute("aria-pressed", "false");
    }

    function loop() {
      frame = null;
      if (!running || !root.isConnected) return stop();
      var until = referenceGoal !== null ? referenceGoal : MAX_STEPS;
      var start = performance.now();
      while (state.step < until && performance.now() - start < 12) trainSteps(Math.min(10, until - state.step));
      draw();
      if (state.step >= until) {
        if (referenceGoal !== null) finishReference();
        return stop();
      }
      frame = requestAnimationFrame(loop);
    }

    function start() {
      running = true;
      trainButton.textContent = t.pause;
      trainButton.setAttribute("aria-pressed", "true");
      frame = requestAnimationFrame(loop);
    }

    function finishReference() {
      referenceResult.textContent = t.space + fillText(t.referenceHere, { mse: formatError(state.mse), steps: state.step });
      root.setAttribute("data-reference-mse", String(state.mse));
      referenceGoal = null;
    }

    trainButton.addEventListener("click", function () {
      referenceGoal = null;
      if (running) stop();
      else start();
    });
    resetButton.addEventListener("click", function () {
      referenceGoal = null;
      reset();
    });
    referenceButton.addEventListener("click", function () {
      if (!referenceSpec) return;
      stop();
      controls.target.value = referenceSpec.target;
      controls.activation.value = referenceSpec.activation;
      width.value = referenceSpec.width;
      controls.lr.value = String(referenceSpec.lr);
      seed.value = referenceSpec.seed;
      reset();
      referenceGoal = referenceSpec.steps;
      root.removeAttribute("data-reference-mse");
      referenceResult.textContent = t.space + t.running;
      start();
    });
    form.addEventListener("input", function (e) {
      if (e.target === seed && seed.value === "") return;
      referenceGoal = null;
      reset();
    });
    form.addEventListener("change", function () {
      referenceGoal = null;
      reset();
    });

    referenceButton.disabled = true;
    var data = root.getAttribute("data-src");
    if (data && window.fetch) {
      fetch(data)
        .then(function (r) { return r.json(); })
        .then(function (json) {
          var spec = json.reference;
          referenceSpec = spec;
          var sentence = fillText(t.referenceText, {
            seed: spec.seed, width: spec.width, activation: t.activations[spec.activation],
            target: t.targets[spec.target], lr: spec.lr, steps: spec.steps,
            mse: formatError(spec.torch_final),
          });
          reference.textContent = sentence;
          reference.appendChild(referenceResult);
          referenceButton.disabled = false;
        })
        .catch(function () { reference.textContent = ""; });
    }
    reset();
    root.setAttribute("data-ready", "");
  }

  // Material's instant navigation may evaluate this script again on a later page: the
  // first evaluation's subscription already builds the widgets there.
  if (window.dlrefPlayground) return window.dlrefPlayground.init();

  window.dlrefPlayground = {
    init: init, mulberry32: mulberry32, initParams: initParams, forward: forward, gradients: gradients,
    adamStep: adamStep, verify: verify, trainRun: trainRun, grid: grid, targetValues: targetValues,
  };

  function init() {
    document.querySelectorAll(".dlref-playground:not([data-ready])").forEach(build);
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
