/* dlref: the convolution and pooling arithmetic calculator of the conv-arithmetic page.
 *
 * The size functions below follow dlref.conv (conv_output_size, pool_output_size,
 * avg_pool_output_size, conv_transpose_output_size) line by line: the same results,
 * and the same refusals, checked in the same order, so that a configuration gets the
 * reason dlref.conv gives. tests/test_widgets.py drives this widget in Chromium
 * through every case of assets/widgets/conv-cases.json, which the build computes
 * with dlref.conv. The widget attaches to every <div class="dlref-conv">.
 */
(function () {
  "use strict";

  var TEXT = {
    en: {
      kind: "Layer", dims: "Dimensions", size: "Input size", kernel: "Kernel size",
      stride: "Stride", padding: "Padding", dilation: "Dilation",
      output_padding: "output_padding", ceil_mode: "ceil_mode",
      kinds: { conv: "Conv", transpose: "ConvTranspose", maxpool: "MaxPool", avgpool: "AvgPool" },
      dimNames: { 1: "1-D", 2: "2-D" },
      hint: "Each field takes one number, or two separated by a comma (height, width) in 2-D. " +
        "Padding also takes same or valid (Conv only). A blank pooling stride means the default, the kernel size.",
      strideDefault: "= kernel size",
      output: "Output size", refused: "PyTorch refuses this configuration:", colon: ": ",
      axes: ["height: ", "width: "],
      window: "Window shown", windowOf: "window {i} of {n}",
      legendPad: "padding", legendInput: "input", legendRead: "read by some window",
      legendUnread: "never read", legendWindow: "the window shown",
      legendCropped: "cropped (padding)", legendOut: "output", legendUnwritten: "no input reaches it",
      unread: "Input positions never read: {rows}.", allRead: "Every input position is read by some window.",
      rowsCols: "rows at padded index {ri}; columns at padded index {ci}",
      positions: "padded index {i}",
      none: "none", listSep: ", ",
      dropped: "; the window number {n} would start at padded position {start} \u2265 W + P = {wp}, " +
        "inside the right padding, so PyTorch drops it",
      sameNote: "padding='same': D(K \u2212 1) = {total} padded positions, {left} before and {right} after; " +
        "the output is as long as the input",
      tooLarge: "Too large to draw (more than {max} positions along a side).",
      transposeNote: "Each input position adds a copy of the kernel at its own offset, S apart; " +
        "P positions are then cut off at each end, and output_padding adds positions at the end.",
      caption: "The padded input, with the positions the windows read",
      captionT: "The full output of the transposed convolution, before and after cropping",
      reasons: {
        size: "size must be positive, got {size}",
        kernel: "kernel_size must be positive, got {kernel_size}",
        stride: "non-positive stride is not supported: stride={stride}",
        dilation: "dilation must be greater than zero: dilation={dilation}",
        padding: "negative padding is not supported: padding={padding}",
        sameStride: "padding='same' is not supported for strided convolutions: stride={stride}",
        kernelLarge: "kernel larger than the padded input: size={w} + 2*padding={p} gives {wp}, " +
          "effective kernel dilation*(kernel_size-1)+1 = {eff} (kernel_size={k}, dilation={d})",
        poolKernel: "kernel_size must be greater than zero, got {kernel_size}",
        poolStride: "stride must be greater than zero, got {stride}",
        poolDilation: "dilation must be greater than zero, got {dilation}",
        poolPadding: "padding must be non-negative, got {padding}",
        halfKernel: "pad should be at most half of kernel size: padding={p}, kernel_size={k}",
        tooSmall: "output size is too small: size={w}, kernel_size={k}, stride={s}, " +
          "padding={p}, dilation={d} give {o}",
        tooSmallAvg: "output size is too small: size={w}, kernel_size={k}, stride={s}, " +
          "padding={p} give {o}",
        outputPadding: "output_padding must be smaller than either stride or dilation: " +
          "output_padding={op}, stride={s}, dilation={d}",
        notPositive: "output size is not positive: size={w}, padding={p} give {o}",
        notInt: "{name} must be an int or a tuple of ints, got {value}",
        parse: "not one or two whole numbers: \u201c{text}\u201d ({field})",
        oneD: "1-D takes one number per field, got \u201c{text}\u201d ({field})",
      },
    },
    zh: {
      kind: "层", dims: "维数", size: "输入尺寸", kernel: "核大小",
      stride: "步长", padding: "填充", dilation: "空洞",
      output_padding: "output_padding", ceil_mode: "ceil_mode",
      kinds: { conv: "Conv（卷积）", transpose: "ConvTranspose（转置卷积）",
        maxpool: "MaxPool（最大池化）", avgpool: "AvgPool（平均池化）" },
      dimNames: { 1: "一维", 2: "二维" },
      hint: "每一栏填一个整数；二维时也可以填两个，用逗号隔开（高，宽）。卷积的填充还可以填 same 或 valid。" +
        "池化的步长留空表示取默认值，即核大小。",
      strideDefault: "= 核大小",
      output: "输出尺寸", refused: "PyTorch 拒绝这组参数：", colon: "：",
      axes: ["高：", "宽："],
      window: "显示的窗口", windowOf: "第 {i} 个窗口，共 {n} 个",
      legendPad: "填充", legendInput: "输入", legendRead: "被某个窗口读到",
      legendUnread: "从未被读到", legendWindow: "当前显示的窗口",
      legendCropped: "被裁掉（填充）", legendOut: "输出", legendUnwritten: "没有输入落到这里",
      unread: "从未被读到的输入位置：{rows}。", allRead: "每个输入位置都至少被一个窗口读到。",
      rowsCols: "填充后下标为 {ri} 的行，下标为 {ci} 的列",
      positions: "填充后下标为 {i} 的位置",
      none: "无", listSep: "、",
      dropped: "；第 {n} 个窗口将从填充后的位置 {start} 开始，而 {start} \u2265 W + P = {wp}，" +
        "落在右侧填充之内，所以 PyTorch 丢弃了它",
      sameNote: "padding='same'：共填充 D(K \u2212 1) = {total} 个位置，前面 {left} 个，后面 {right} 个；" +
        "输出与输入一样长",
      tooLarge: "尺寸太大，无法绘制（某一边超过 {max} 个位置）。",
      transposeNote: "每个输入位置在自己的偏移处加上一份卷积核，相邻两份相隔 S；" +
        "然后两端各裁掉 P 个位置，output_padding 在末尾补上位置。",
      caption: "填充后的输入，以及各窗口读到的位置",
      captionT: "转置卷积裁剪前后的完整输出",
      reasons: {
        size: "输入尺寸必须为正数，这里是 {size}",
        kernel: "kernel_size 必须为正数，这里是 {kernel_size}",
        stride: "步长必须为正数：stride={stride}",
        dilation: "空洞必须大于零：dilation={dilation}",
        padding: "填充不能为负数：padding={padding}",
        sameStride: "跨步卷积不支持 padding='same'：stride={stride}",
        kernelLarge: "卷积核比填充后的输入还大：size={w} 加上 2*padding={p} 得 {wp}，" +
          "而有效核长 dilation*(kernel_size-1)+1 = {eff}（kernel_size={k}，dilation={d}）",
        poolKernel: "kernel_size 必须大于零，这里是 {kernel_size}",
        poolStride: "stride 必须大于零，这里是 {stride}",
        poolDilation: "dilation 必须大于零，这里是 {dilation}",
        poolPadding: "padding 不能为负数，这里是 {padding}",
        halfKernel: "填充最多为核大小的一半：padding={p}，kernel_size={k}",
        tooSmall: "输出尺寸太小：size={w}，kernel_size={k}，stride={s}，" +
          "padding={p}，dilation={d} 得到 {o}",
        tooSmallAvg: "输出尺寸太小：size={w}，kernel_size={k}，stride={s}，padding={p} 得到 {o}",
        outputPadding: "output_padding 必须小于 stride 或 dilation 二者之一：" +
          "output_padding={op}，stride={s}，dilation={d}",
        notPositive: "输出尺寸不是正数：size={w}，padding={p} 得到 {o}",
        notInt: "{name} 必须是整数或整数元组，这里是 {value}",
        parse: "“{text}”不是一个或两个整数（{field}）",
        oneD: "一维时每一栏只能填一个整数，这里是“{text}”（{field}）",
      },
    },
  };

  var FIELDS = ["size", "kernel", "stride", "padding", "dilation", "output_padding"];
  var RELEVANT = { // the fields each kind of layer reads; the others are hidden and ignored
    conv: FIELDS.slice(0, 5), transpose: FIELDS, maxpool: FIELDS.slice(0, 5), avgpool: FIELDS.slice(0, 4),
  };
  var DRAW_MAX = 64; // positions along a side beyond which nothing is drawn
  var SVG = "http://www.w3.org/2000/svg";
  var uid = 0;

  function fill(template, args) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return key in args ? String(args[key]) : m;
    });
  }

  // Python's str() of an int or a tuple of ints.
  function py(v) {
    return Array.isArray(v) ? "(" + v.join(", ") + (v.length === 1 ? ",)" : ")") : String(v);
  }

  function Refusal(key, args) {
    this.key = key;
    this.args = args || {};
  }

  function need(ok, key, args) {
    if (!ok) throw new Refusal(key, args);
  }

  function floorDiv(a, b) {
    return Math.floor(a / b);
  }

  function every(values, test) {
    for (var i = 0; i < values.length; i++) if (!test(values[i])) return false;
    return true;
  }

  function positive(v) {
    return v > 0;
  }

  function nonNegative(v) {
    return v >= 0;
  }

  function dimsOf(values) {
    var n = null;
    values.forEach(function (v) {
      if (Array.isArray(v)) n = v.length;
    });
    return n;
  }

  function perDim(value, n, name) {
    if (Array.isArray(value)) return value;
    if (typeof value !== "number") throw new Refusal("notInt", { name: name, value: "'" + value + "'" });
    var out = [];
    for (var i = 0; i < n; i++) out.push(value);
    return out;
  }

  // dlref.conv.conv_output_size; also returns the geometry per dimension.
  function convSize(size, kernel, stride, padding, dilation) {
    var mode = typeof padding === "string" ? padding : null;
    var numeric = mode ? 0 : padding;
    var n = dimsOf([size, kernel, stride, numeric, dilation]) || 1;
    var W = perDim(size, n, "size"), K = perDim(kernel, n, "kernel_size");
    var S = perDim(stride, n, "stride"), D = perDim(dilation, n, "dilation");
    var P = perDim(numeric, n, "padding");
    need(every(W, positive), "size", { size: py(size) });
    need(every(K, positive), "kernel", { kernel_size: py(kernel) });
    need(every(S, positive), "stride", { stride: py(stride) });
    need(every(D, positive), "dilation", { dilation: py(dilation) });
    need(every(P, nonNegative), "padding", { padding: py(padding) });
    var geo = [];
    if (mode === "same") {
      need(every(S, function (v) { return v === 1; }), "sameStride", { stride: py(stride) });
      for (var j = 0; j < n; j++) {
        var total = D[j] * (K[j] - 1), left = floorDiv(total, 2);
        geo.push({ W: W[j], K: K[j], S: 1, D: D[j], left: left, right: total - left, O: W[j], same: true });
      }
      return geo;
    }
    for (var i = 0; i < n; i++) {
      var effective = D[i] * (K[i] - 1) + 1;
      need(W[i] + 2 * P[i] >= effective, "kernelLarge", {
        w: W[i], p: P[i], wp: W[i] + 2 * P[i], eff: effective, k: K[i], d: D[i],
      });
      geo.push({
        W: W[i], K: K[i], S: S[i], D: D[i], left: P[i], right: P[i],
        O: floorDiv(W[i] + 2 * P[i] - effective, S[i]) + 1,
      });
    }
    return geo;
  }

  // dlref.conv._pool_count, with what the drawing needs to explain ceil_mode.
  function poolCount(w, k, s, p, d, ceil) {
    var span = w + 2 * p - d * (k - 1) - 1;
    var o = floorDiv(span + (ceil ? s - 1 : 0), s) + 1;
    var dropped = null;
    if (ceil && (o - 1) * s >= w + p) {
      dropped = { n: o, start: (o - 1) * s, wp: w + p };
      o -= 1;
    }
    return { o: o, dropped: dropped };
  }

  // dlref.conv.pool_output_size (max pooling).
  function maxPoolSize(size, kernel, stride, padding, dilation, ceil) {
    if (stride === null) stride = kernel;
    var n = dimsOf([size, kernel, stride, padding, dilation]) || 1;
    var W = perDim(size, n, "size"), K = perDim(kernel, n, "kernel_size");
    var S = perDim(stride, n, "stride"), P = perDim(padding, n, "padding");
    var D = perDim(dilation, n, "dilation");
    need(every(K, positive), "poolKernel", { kernel_size: py(kernel) });
    need(every(S, positive), "poolStride", { stride: py(stride) });
    need(every(D, positive), "poolDilation", { dilation: py(dilation) });
    need(every(P, nonNegative), "poolPadding", { padding: py(padding) });
    var geo = [];
    for (var i = 0; i < n; i++) {
      need(P[i] <= floorDiv(K[i], 2), "halfKernel", { p: P[i], k: K[i] });
      var c = poolCount(W[i], K[i], S[i], P[i], D[i], ceil);
      need(c.o >= 1, "tooSmall", { w: W[i], k: K[i], s: S[i], p: P[i], d: D[i], o: c.o });
      geo.push({ W: W[i], K: K[i], S: S[i], D: D[i], left: P[i], right: P[i], O: c.o,
        ceil: ceil, dropped: c.dropped });
    }
    return geo;
  }

  // dlref.conv.avg_pool_output_size (no dilation; the padding checks come first).
  function avgPoolSize(size, kernel, stride, padding, ceil) {
    if (stride === null) stride = kernel;
    var n = dimsOf([size, kernel, stride, padding]) || 1;
    var W = perDim(size, n, "size"), K = perDim(kernel, n, "kernel_size");
    var S = perDim(stride, n, "stride"), P = perDim(padding, n, "padding");
    need(every(K, positive), "poolKernel", { kernel_size: py(kernel) });
    need(every(S, positive), "poolStride", { stride: py(stride) });
    need(every(P, nonNegative), "poolPadding", { padding: py(padding) });
    var i;
    for (i = 0; i < n; i++) need(P[i] <= floorDiv(K[i], 2), "halfKernel", { p: P[i], k: K[i] });
    var geo = [];
    for (i = 0; i < n; i++) {
      var c = poolCount(W[i], K[i], S[i], P[i], 1, ceil);
      need(c.o >= 1, "tooSmallAvg", { w: W[i], k: K[i], s: S[i], p: P[i], o: c.o });
      geo.push({ W: W[i], K: K[i], S: S[i], D: 1, left: P[i], right: P[i], O: c.o,
        ceil: ceil, dropped: c.dropped });
    }
    return geo;
  }

  // dlref.conv.conv_transpose_output_size.
  function transposeSize(size, kernel, stride, padding, outputPadding, dilation) {
    var n = dimsOf([size, kernel, stride, padding, outputPadding, dilation]) || 1;
    var W = perDim(size, n, "size"), K = perDim(kernel, n, "kernel_size");
    var S = perDim(stride, n, "stride"), P = perDim(padding, n, "padding");
    var OP = perDim(outputPadding, n, "output_padding"), D = perDim(dilation, n, "dilation");
    need(every(K, positive), "kernel", { kernel_size: py(kernel) });
    need(every(S, positive), "stride", { stride: py(stride) });
    need(every(D, positive), "dilation", { dilation: py(dilation) });
    need(every(P, nonNegative), "padding", { padding: py(padding) });
    var geo = [];
    for (var i = 0; i < n; i++) {
      need(OP[i] >= 0 && OP[i] < Math.max(S[i], D[i]), "outputPadding", { op: OP[i], s: S[i], d: D[i] });
      var o = (W[i] - 1) * S[i] - 2 * P[i] + D[i] * (K[i] - 1) + OP[i] + 1;
      need(o > 0, "notPositive", { w: W[i], p: P[i], o: o });
      geo.push({ W: W[i], K: K[i], S: S[i], D: D[i], P: P[i], OP: OP[i], O: o, transpose: true });
    }
    return geo;
  }

  // --- reading the form -------------------------------------------------------------

  // "7" -> 7, "7, 5" or "(7, 5)" -> [7, 5]; "same"/"valid" for padding; "" -> null.
  function parseField(text, field, dims, t) {
    var raw = text.trim();
    if (raw === "") return null;
    if (field === "padding" && (raw === "same" || raw === "valid" || raw === "'same'" || raw === "'valid'")) {
      return raw.replace(/'/g, "");
    }
    var inner = raw.replace(/^\((.*)\)$/, "$1");
    var parts = inner.split(",").map(function (s) { return s.trim(); });
    if (parts.length > 2 || !every(parts, function (s) { return /^[-+]?\d+$/.test(s); })) {
      throw new Refusal("parse", { text: raw, field: t[field] });
    }
    var values = parts.map(function (s) { return parseInt(s, 10); });
    if (values.length === 1) return values[0];
    if (dims === 1) throw new Refusal("oneD", { text: raw, field: t[field] });
    return values;
  }

  function compute(state, t) {
    var dims = state.dims;
    var v = {};
    FIELDS.forEach(function (f) {
      v[f] = RELEVANT[state.kind].indexOf(f) >= 0 ? parseField(state[f], f, dims, t) : null;
    });
    var defaults = { size: null, kernel: null, stride: 1, padding: 0, dilation: 1, output_padding: 0 };
    FIELDS.forEach(function (f) {
      if (v[f] === null && f !== "stride") v[f] = defaults[f];
    });
    var pool = state.kind === "maxpool" || state.kind === "avgpool";
    if (v.stride === null && !pool) v.stride = 1;
    if (v.size === null) throw new Refusal("parse", { text: "", field: t.size });
    if (v.kernel === null) throw new Refusal("parse", { text: "", field: t.kernel });
    // The input has `dims` spatial dimensions: one number stands for a square input.
    if (dims === 2 && !Array.isArray(v.size)) v.size = [v.size, v.size];
    if (state.kind !== "conv") {
      var sizes = Array.isArray(v.size) ? v.size : [v.size];
      need(every(sizes, positive), "size", { size: py(v.size) });
    }
    if (state.kind === "conv") return convSize(v.size, v.kernel, v.stride, v.padding, v.dilation);
    if (state.kind === "transpose") {
      return transposeSize(v.size, v.kernel, v.stride, v.padding, v.output_padding, v.dilation);
    }
    if (state.kind === "maxpool") {
      return maxPoolSize(v.size, v.kernel, v.stride, v.padding, v.dilation, state.ceil_mode);
    }
    return avgPoolSize(v.size, v.kernel, v.stride, v.padding, state.ceil_mode);
  }

  // --- geometry for the drawing -------------------------------------------------------

  // Per padded position: 0 padding, 1 input; and how many windows read it.
  function coverage(g) {
    if (g.transpose) {
      var full = (g.W - 1) * g.S + g.D * (g.K - 1) + 1;
      var length = Math.max(full, g.P + g.O);
      var written = new Array(length).fill(0);
      for (var i = 0; i < g.W; i++) for (var k = 0; k < g.K; k++) written[i * g.S + k * g.D] += 1;
      var kind = [];
      for (var j = 0; j < length; j++) kind.push(j >= g.P && j < g.P + g.O ? 1 : 0);
      return { length: length, kind: kind, count: written, windows: [] };
    }
    var total = g.left + g.W + g.right;
    var count = new Array(total).fill(0), kinds = [], windows = [];
    for (var p = 0; p < total; p++) kinds.push(p >= g.left && p < g.left + g.W ? 1 : 0);
    for (var o = 0; o < g.O; o++) {
      var taps = [];
      for (var t = 0; t < g.K; t++) {
        var at = o * g.S + t * g.D;
        taps.push(at);
        if (at < total) count[at] += 1;
      }
      windows.push(taps);
    }
    return { length: total, kind: kinds, count: count, windows: windows };
  }

  function formula(g, t) {
    var m = "\u2212";
    if (g.transpose) {
      return "(W " + m + " 1)S " + m + " 2P + D(K " + m + " 1) + output_padding + 1 = (" + g.W + " " + m +
        " 1)\u00b7" + g.S + " " + m + " 2\u00b7" + g.P + " + " + g.D + "\u00b7(" + g.K + " " + m + " 1) + " +
        g.OP + " + 1 = " + g.O;
    }
    if (g.same) {
      return fill(t.sameNote, { total: g.left + g.right, left: g.left, right: g.right });
    }
    var open = g.ceil ? "\u2308" : "\u230a", close = g.ceil ? "\u2309" : "\u230b";
    var num = g.W + 2 * g.left - g.D * (g.K - 1) - 1;
    var text = open + "(W + 2P " + m + " D(K " + m + " 1) " + m + " 1) / S" + close + " + 1 = " + open + "(" +
      g.W + " + 2\u00b7" + g.left + " " + m + " " + g.D + "\u00b7(" + g.K + " " + m + " 1) " + m + " 1) / " +
      g.S + close + " + 1 = " + open + num + "/" + g.S + close + " + 1 = " + (g.dropped ? g.O + 1 : g.O);
    if (g.dropped) text += fill(t.dropped, g.dropped) + ": " + g.O;
    return text;
  }

  // --- drawing --------------------------------------------------------------------------

  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (a) { node.setAttribute(a, attrs[a]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function cellClass(kind, count, transpose) {
    if (transpose) return kind ? (count ? "dlref-conv__out" : "dlref-conv__unwritten") : "dlref-conv__cropped";
    if (!count) return kind ? "dlref-conv__unread" : "dlref-conv__pad dlref-conv__pad-unread";
    return kind ? "dlref-conv__read" : "dlref-conv__pad";
  }

  function draw(svg, geo, shown, id) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var rowsGeo = geo.length === 2 ? geo[0] : null, colsGeo = geo[geo.length - 1];
    var cols = coverage(colsGeo), rows = rowsGeo ? coverage(rowsGeo) : null;
    var nCols = cols.length, nRows = rows ? rows.length : 1;
    if (nCols > DRAW_MAX || nRows > DRAW_MAX) return false;
    var transpose = !!colsGeo.transpose;
    var cell = Math.max(8, Math.min(28, Math.floor(620 / nCols)));
    var windowRows = rows || transpose ? 0 : Math.min(cols.windows.length, 24);
    var overhang = 0;
    cols.windows.forEach(function (w) { overhang = Math.max(overhang, w[w.length - 1] + 1 - nCols); });
    var width = (nCols + overhang) * cell + 2, height = (nRows + windowRows) * cell + (windowRows ? cell / 2 : 0) + 2;
    svg.setAttribute("viewBox", "-1 -1 " + width + " " + height);
    svg.setAttribute("width", width);
    svg.setAttribute("height", height);
    var defs = el("defs", {}, svg);
    var pattern = el("pattern", { id: id, width: 6, height: 6, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" }, defs);
    el("line", { x1: 0, y1: 0, x2: 0, y2: 6, class: "dlref-conv__hatch" }, pattern);
    for (var r = 0; r < nRows; r++) {
      for (var c = 0; c < nCols; c++) {
        var kind = cols.kind[c] && (!rows || rows.kind[r]);
        var count = cols.count[c] && (!rows || rows.count[r]);
        var cls = cellClass(kind, count, transpose);
        el("rect", { x: c * cell, y: r * cell, width: cell, height: cell, class: "dlref-conv__cell " + cls }, svg);
        if (/unread|unwritten/.test(cls)) {
          el("rect", { x: c * cell, y: r * cell, width: cell, height: cell, fill: "url(#" + id + ")" }, svg);
        }
      }
    }
    if (transpose) return true;
    if (rows) {
      // one window of the 2-D grid: its taps, and its outline
      var nc = colsGeo.O, rr = Math.floor(shown / nc), cc = shown % nc;
      var rowTaps = rows.windows[rr], colTaps = cols.windows[cc];
      rowTaps.forEach(function (y) {
        colTaps.forEach(function (x) {
          el("rect", { x: x * cell + cell * 0.2, y: y * cell + cell * 0.2, width: cell * 0.6, height: cell * 0.6,
            class: "dlref-conv__tap" }, svg);
        });
      });
      el("rect", { x: colTaps[0] * cell, y: rowTaps[0] * cell,
        width: (colTaps[colTaps.length - 1] - colTaps[0] + 1) * cell,
        height: (rowTaps[rowTaps.length - 1] - rowTaps[0] + 1) * cell, class: "dlref-conv__window" }, svg);
      return true;
    }
    // 1-D: every window (up to 24) on its own line under the cells
    for (var w = 0; w < windowRows; w++) {
      var taps = cols.windows[w], y = (1.5 + w) * cell;
      var first = taps[0], last = taps[taps.length - 1];
      el("line", { x1: first * cell + cell / 2, x2: last * cell + cell / 2, y1: y + cell / 2, y2: y + cell / 2,
        class: "dlref-conv__span" + (w === shown ? " dlref-conv__span--shown" : "") }, svg);
      taps.forEach(function (x) {
        el("circle", { cx: x * cell + cell / 2, cy: y + cell / 2, r: Math.max(2, cell * 0.22),
          class: x < nCols ? "dlref-conv__dot" : "dlref-conv__dot dlref-conv__dot--outside" }, svg);
      });
    }
    return true;
  }

  function unreadText(geo, t) {
    function missing(g) {
      var cov = coverage(g), idx = [];
      for (var i = 0; i < cov.length; i++) if (cov.kind[i] && !cov.count[i]) idx.push(i);
      return idx;
    }
    var lists = geo.map(missing);
    if (every(lists, function (l) { return l.length === 0; })) return t.allRead;
    function show(l) { return l.length ? l.join(t.listSep) : t.none; }
    var rows = geo.length === 2
      ? fill(t.rowsCols, { r: lists[0].length, ri: show(lists[0]), c: lists[1].length, ci: show(lists[1]) })
      : fill(t.positions, { n: lists[0].length, i: show(lists[0]) });
    return fill(t.unread, { rows: rows });
  }

  // --- the widget -------------------------------------------------------------------------

  function build(root) {
    var lang = (document.documentElement.lang || "en").slice(0, 2) === "zh" ? "zh" : "en";
    var t = TEXT[lang];
    var id = "dlref-conv-" + ++uid;
    var initial = { kind: "conv", dims: "2", size: "5", kernel: "2", stride: "2", padding: "1",
      dilation: "1", output_padding: "0" };
    root.querySelectorAll(".dlref-widget__fallback").forEach(function (n) { n.remove(); });
    var form = document.createElement("form");
    form.className = "dlref-conv__form";
    form.setAttribute("novalidate", "");
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    var controls = {}, labels = {};

    function field(name, node, text) {
      var label = document.createElement("label");
      label.className = "dlref-widget__field";
      node.id = id + "-" + name;
      node.name = name;
      label.htmlFor = node.id;
      var span = document.createElement("span");
      span.textContent = text;
      label.appendChild(span);
      label.appendChild(node);
      form.appendChild(label);
      controls[name] = node;
      labels[name] = label;
      return node;
    }

    function select(name, options) {
      var s = document.createElement("select");
      Object.keys(options).forEach(function (value) {
        var o = document.createElement("option");
        o.value = value;
        o.textContent = options[value];
        s.appendChild(o);
      });
      return field(name, s, t[name]);
    }

    select("kind", t.kinds).value = initial.kind;
    select("dims", t.dimNames).value = initial.dims;
    FIELDS.forEach(function (name) {
      var input = document.createElement("input");
      input.type = "text";
      input.inputMode = "text";
      input.autocomplete = "off";
      input.spellcheck = false;
      input.size = 6;
      input.value = initial[name];
      field(name, input, t[name]);
    });
    var ceil = document.createElement("input");
    ceil.type = "checkbox";
    field("ceil_mode", ceil, t.ceil_mode);
    labels.ceil_mode.classList.add("dlref-widget__check");
    var hint = document.createElement("p");
    hint.className = "dlref-widget__hint";
    hint.id = id + "-hint";
    hint.textContent = t.hint;
    FIELDS.forEach(function (name) { controls[name].setAttribute("aria-describedby", hint.id); });

    var result = document.createElement("p");
    result.className = "dlref-conv__result";
    result.setAttribute("aria-live", "polite");
    var resultLabel = document.createElement("span");
    var output = document.createElement("output");
    output.className = "dlref-conv__output";
    output.htmlFor = FIELDS.map(function (f) { return id + "-" + f; }).join(" ");
    var reason = document.createElement("span");
    reason.className = "dlref-conv__reason";
    result.appendChild(resultLabel);
    result.appendChild(output);
    result.appendChild(reason);
    var formulas = document.createElement("div");
    formulas.className = "dlref-conv__formulas";
    var unread = document.createElement("p");
    unread.className = "dlref-conv__unread-text";

    var windowLabel = document.createElement("label");
    windowLabel.className = "dlref-widget__field dlref-conv__window-control";
    var windowSpan = document.createElement("span");
    windowSpan.textContent = t.window;
    var windowInput = document.createElement("input");
    windowInput.type = "range";
    windowInput.min = 1;
    windowInput.id = id + "-window";
    windowLabel.htmlFor = windowInput.id;
    var windowText = document.createElement("span");
    windowText.className = "dlref-conv__window-text";
    windowLabel.appendChild(windowSpan);
    windowLabel.appendChild(windowInput);
    windowLabel.appendChild(windowText);

    var figure = document.createElement("figure");
    figure.className = "dlref-conv__figure";
    var svg = el("svg", { role: "img", class: "dlref-conv__svg" });
    var caption = document.createElement("figcaption");
    var legend = document.createElement("p");
    legend.className = "dlref-conv__legend";
    var tooLarge = document.createElement("p");
    figure.appendChild(svg);
    figure.appendChild(tooLarge);
    figure.appendChild(caption);

    root.appendChild(form);
    root.appendChild(hint);
    root.appendChild(result);
    root.appendChild(formulas);
    root.appendChild(unread);
    root.appendChild(windowLabel);
    root.appendChild(figure);
    root.appendChild(legend);

    function legendItem(cls, text, hatched) {
      return '<span class="dlref-conv__key"><svg width="14" height="14" aria-hidden="true"><rect x="0.5" y="0.5" ' +
        'width="13" height="13" class="dlref-conv__cell ' + cls + '"/>' + (hatched
        ? '<rect x="0.5" y="0.5" width="13" height="13" fill="url(#' + id + '-hatch)"/>' : "") + "</svg>" + text + "</span>";
    }

    var lastGeo = null;

    function render() {
      var state = { kind: controls.kind.value, dims: parseInt(controls.dims.value, 10), ceil_mode: ceil.checked };
      FIELDS.forEach(function (f) { state[f] = controls[f].value; });
      var pool = state.kind === "maxpool" || state.kind === "avgpool";
      labels.output_padding.hidden = state.kind !== "transpose";
      labels.ceil_mode.hidden = !pool;
      labels.dilation.hidden = state.kind === "avgpool";
      controls.stride.placeholder = pool ? t.strideDefault : "";
      var geo;
      try {
        geo = compute(state, t);
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        lastGeo = null;
        resultLabel.textContent = t.refused + (lang === "zh" ? "" : " ");
        output.textContent = "";
        output.hidden = true;
        reason.textContent = fill(t.reasons[err.key], err.args);
        reason.hidden = false;
        root.setAttribute("data-reason", err.key);
        result.classList.add("dlref-conv__result--refused");
        formulas.textContent = "";
        unread.textContent = "";
        windowLabel.hidden = true;
        figure.hidden = true;
        legend.hidden = true;
        return;
      }
      lastGeo = geo;
      root.removeAttribute("data-reason");
      result.classList.remove("dlref-conv__result--refused");
      resultLabel.textContent = t.output + t.colon;
      output.hidden = false;
      output.textContent = geo.map(function (g) { return g.O; }).join(" \u00d7 ");
      reason.textContent = "";
      reason.hidden = true;
      formulas.textContent = "";
      geo.forEach(function (g, i) {
        var p = document.createElement("p");
        p.textContent = (geo.length === 2 ? t.axes[i] : "") + formula(g, t);
        formulas.appendChild(p);
      });
      var transpose = state.kind === "transpose";
      unread.textContent = transpose ? t.transposeNote : unreadText(geo, t);
      var total = geo.reduce(function (a, g) { return a * g.O; }, 1);
      windowLabel.hidden = transpose || total < 2;
      windowInput.max = total;
      if (parseInt(windowInput.value, 10) > total || root.getAttribute("data-total") !== String(total)) {
        windowInput.value = total; // a new configuration shows its last window
      }
      root.setAttribute("data-total", String(total));
      redraw();
      caption.textContent = transpose ? t.captionT : t.caption;
      legend.innerHTML = transpose
        ? legendItem("dlref-conv__out", t.legendOut) + legendItem("dlref-conv__unwritten", t.legendUnwritten, true) +
          legendItem("dlref-conv__cropped", t.legendCropped)
        : legendItem("dlref-conv__pad", t.legendPad) + legendItem("dlref-conv__read", t.legendRead) +
          legendItem("dlref-conv__unread", t.legendUnread, true) +
          '<span class="dlref-conv__key"><svg width="14" height="14" aria-hidden="true"><rect x="3" y="3" width="8" ' +
          'height="8" class="dlref-conv__tap"/></svg>' + t.legendWindow + "</span>";
    }

    function redraw() {
      if (!lastGeo) return;
      var shown = parseInt(windowInput.value, 10) - 1;
      var total = parseInt(windowInput.max, 10);
      windowText.textContent = fill(t.windowOf, { i: shown + 1, n: total });
      var ok = draw(svg, lastGeo, shown, id + "-hatch");
      svg.setAttribute("aria-label", caption.textContent || t.caption);
      svg.style.display = ok ? "" : "none";
      tooLarge.textContent = ok ? "" : fill(t.tooLarge, { max: DRAW_MAX });
      figure.hidden = false;
      legend.hidden = !ok;
    }

    form.addEventListener("input", render);
    form.addEventListener("change", render);
    windowInput.addEventListener("input", redraw);
    root.setAttribute("data-ready", "");
    render();
  }

  function init() {
    document.querySelectorAll(".dlref-conv:not([data-ready])").forEach(build);
  }

  // Material's instant navigation may evaluate this script again on a later page: the
  // first evaluation's subscription already builds the widgets there.
  if (window.dlrefConvCalculator) return window.dlrefConvCalculator.init();
  window.dlrefConvCalculator = { init: init };

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
