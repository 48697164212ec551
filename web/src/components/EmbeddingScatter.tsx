/**
 * The embedding scatter: every point of a projection drawn by WebGL2 (one draw call for
 * all points, one more for the selected ones), pan by dragging, zoom with the wheel about
 * the pointer, lasso or box selection, and the point under the pointer reported for a
 * preview. Colors come ready per point (lib/embedding pointStyle: RGBA, alpha 0 hides a
 * point). Drawing happens once per animation frame when something changed, never per event.
 *
 * The current view (data center and pixels per unit) is written on the wrapper as
 * `data-cx`, `data-cy`, `data-scale`, `data-width`, `data-height`, so a test or a script
 * can place the pointer over given data coordinates.
 */
import { forwardRef, useCallback, useEffect, useImperativeHandle, useRef, useState, type KeyboardEvent, type PointerEvent, type WheelEvent } from "react";
import { fitView, panBy, PointGrid, toData, toScreen, zoomAt, type Bounds, type Point, type SelectionCombine, type ViewState } from "../lib/embedding";

export type ScatterMode = "pan" | "lasso" | "box";

/** The height the view's tool buttons take over the canvas's top (CSS pixels). */
const TOOLS_STRIP = 40;

/** How long the view rests before its points are drawn again at full quality. */
const IDLE_MS = 140;

export interface EmbeddingScatterProps {
  /** (x0, y0, x1, y1, ...) in data units. */
  xy: Float32Array;
  /** 4 bytes a point (lib/embedding pointStyle). */
  rgba: Uint8Array;
  /** 1 where a point can be hovered or selected. */
  selectable: Uint8Array;
  bounds: Bounds;
  /** Ascending indices drawn highlighted (null: none). */
  selected: Uint32Array | null;
  mode: ScatterMode;
  /** A lasso (polygon) or box (two corners) closed, in data coordinates; Shift held: add, Alt: remove. */
  onSelect: (shape: { kind: "lasso"; polygon: Point[] } | { kind: "box"; a: Point; b: Point }, how: SelectionCombine) => void;
  /** A point clicked: `add` with Shift (or Ctrl / Cmd) held. */
  onPick?: (index: number, add: boolean) => void;
  /** The point under the pointer (-1: none), where it is on the canvas and the canvas's size (CSS pixels). */
  onHover?: (index: number, at: Point | null, area: Point | null) => void;
  /** The canvas's background and the selection ring's color (the theme's). */
  background: string;
  ring: string;
  /** Draw each point with a darker rim (the light theme: light colors stay visible). */
  rims?: boolean;
  height?: number;
  label?: string;
}

export interface EmbeddingScatterHandle {
  resetView: () => void;
}

const VERTEX = `#version 300 es
in vec2 a_xy;
in vec4 a_rgba;
uniform vec2 u_center;
uniform vec2 u_scale;
uniform float u_size;
out vec4 v_rgba;
void main() {
  v_rgba = a_rgba;
  // Hidden points (alpha 0) go outside the clip space: no fragment work.
  gl_Position = a_rgba.a == 0.0 ? vec4(2.0, 2.0, 2.0, 1.0) : vec4((a_xy - u_center) * u_scale, 0.0, 1.0);
  gl_PointSize = u_size;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
in vec4 v_rgba;
uniform float u_ring;
uniform vec3 u_ring_color;
uniform float u_edge;
out vec4 color;
void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r = dot(c, c);
  if (r > 1.0) discard;
  if (u_ring > 0.5 && r > 0.45) { color = vec4(u_ring_color, 1.0); return; }
  // A darker rim (when asked) keeps light colors visible on a light canvas.
  vec3 rgb = u_edge > 0.5 && r > 0.55 ? v_rgba.rgb * 0.6 : v_rgba.rgb;
  color = vec4(rgb, u_ring > 0.5 ? 1.0 : v_rgba.a);
}`;

/** The cached points (a texture) drawn as one quad while the view moves. */
const BLIT_VERTEX = `#version 300 es
in vec2 a_corner;
uniform vec4 u_rect;
out vec2 v_uv;
void main() {
  v_uv = a_corner;
  gl_Position = vec4(mix(u_rect.xy, u_rect.zw, a_corner), 0.0, 1.0);
}`;

const BLIT_FRAGMENT = `#version 300 es
precision mediump float;
in vec2 v_uv;
uniform sampler2D u_points;
out vec4 color;
void main() { color = texture(u_points, v_uv); }`;

function compile(gl: WebGL2RenderingContext, type: number, source: string): WebGLShader {
  const shader = gl.createShader(type)!;
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`WebGL shader: ${gl.getShaderInfoLog(shader)}`);
  return shader;
}

interface Gpu {
  gl: WebGL2RenderingContext;
  program: WebGLProgram;
  vao: WebGLVertexArrayObject;
  xy: WebGLBuffer;
  rgba: WebGLBuffer;
  selected: WebGLBuffer;
  uniforms: Record<"center" | "scale" | "size" | "ring" | "ringColor" | "edge", WebGLUniformLocation | null>;
  blit: WebGLProgram;
  blitVao: WebGLVertexArrayObject;
  blitRect: WebGLUniformLocation | null;
  texture: WebGLTexture;
  framebuffer: WebGLFramebuffer;
  /** The texture's size in device pixels (0: not allocated). */
  textureSize: [number, number];
}

function link(gl: WebGL2RenderingContext, vertex: string, fragment: string, attributes: string[]): WebGLProgram {
  const program = gl.createProgram()!;
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, vertex));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, fragment));
  attributes.forEach((name, k) => gl.bindAttribLocation(program, k, name));
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`WebGL program: ${gl.getProgramInfoLog(program)}`);
  return program;
}

function setUp(canvas: HTMLCanvasElement): Gpu | null {
  const gl = canvas.getContext("webgl2", { antialias: false, premultipliedAlpha: false, preserveDrawingBuffer: false });
  if (!gl) return null;
  const program = link(gl, VERTEX, FRAGMENT, ["a_xy", "a_rgba"]);
  const vao = gl.createVertexArray()!;
  gl.bindVertexArray(vao);
  const xy = gl.createBuffer()!;
  gl.bindBuffer(gl.ARRAY_BUFFER, xy);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
  const rgba = gl.createBuffer()!;
  gl.bindBuffer(gl.ARRAY_BUFFER, rgba);
  gl.enableVertexAttribArray(1);
  gl.vertexAttribPointer(1, 4, gl.UNSIGNED_BYTE, true, 0, 0);
  const selected = gl.createBuffer()!;
  gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, selected);
  gl.bindVertexArray(null);
  const at = (name: string) => gl.getUniformLocation(program, name);
  const blit = link(gl, BLIT_VERTEX, BLIT_FRAGMENT, ["a_corner"]);
  const blitVao = gl.createVertexArray()!;
  gl.bindVertexArray(blitVao);
  gl.bindBuffer(gl.ARRAY_BUFFER, gl.createBuffer());
  gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]), gl.STATIC_DRAW);
  gl.enableVertexAttribArray(0);
  gl.vertexAttribPointer(0, 2, gl.FLOAT, false, 0, 0);
  gl.bindVertexArray(null);
  const texture = gl.createTexture()!;
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  const framebuffer = gl.createFramebuffer()!;
  return {
    gl, program, vao, xy, rgba, selected,
    uniforms: { center: at("u_center"), scale: at("u_scale"), size: at("u_size"), ring: at("u_ring"), ringColor: at("u_ring_color"), edge: at("u_edge") },
    blit, blitVao, blitRect: gl.getUniformLocation(blit, "u_rect"), texture, framebuffer, textureSize: [0, 0],
  };
}

function rgbOf(css: string): [number, number, number] {
  const hex = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(css);
  if (hex) return [parseInt(hex[1]!, 16) / 255, parseInt(hex[2]!, 16) / 255, parseInt(hex[3]!, 16) / 255];
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  return m ? [Number(m[1]) / 255, Number(m[2]) / 255, Number(m[3]) / 255] : [0, 0, 0];
}

/** Point size in CSS pixels: larger when few points or zoomed in, never under 1.5 nor over 9. */
function pointSize(n: number, view: ViewState, fitted: ViewState | null): number {
  const base = n > 200_000 ? 1.5 : n > 20_000 ? 2.5 : n > 2_000 ? 4 : 6;
  const zoom = fitted ? Math.sqrt(Math.max(1, view.scale / fitted.scale)) : 1;
  return Math.min(9, base * zoom);
}

export const EmbeddingScatter = forwardRef<EmbeddingScatterHandle, EmbeddingScatterProps>(function EmbeddingScatter(
  { xy, rgba, selectable, bounds, selected, mode, onSelect, onPick, onHover, background, ring, rims = false, height = 560, label = "Embedding scatter" },
  ref,
) {
  const wrapper = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const gpu = useRef<Gpu | null>(null);
  const [failed, setFailed] = useState<string | null>(null);
  const [width, setWidth] = useState(0);
  const view = useRef<ViewState | null>(null);
  const fitted = useRef<ViewState | null>(null);
  const frame = useRef<number | null>(null);
  const counts = useRef({ points: 0, selected: 0 });
  const style = useRef({ background, ring, rims });
  style.current = { background, ring, rims };
  const [shape, setShape] = useState<Point[] | null>(null); // the lasso or box being drawn, screen pixels
  const drag = useRef<{ kind: ScatterMode; start: Point; last: Point; path: Point[] } | null>(null);
  const grid = useRef<PointGrid | null>(null);
  const selectableRef = useRef(selectable);
  selectableRef.current = selectable;
  const onHoverRef = useRef(onHover);
  onHoverRef.current = onHover;

  // The points are drawn into a texture twice the canvas's size around the view, then the
  // texture onto the canvas: while panning or zooming only the texture moves (one quad a
  // frame, whatever the number of points); the points are drawn again when the view rests
  // (IDLE_MS after the last move), leaves the texture, or anything drawn changes.
  const cache = useRef<{ view: ViewState; width: number; height: number; factor: number; dpr: number } | null>(null);
  const dirty = useRef(true);
  const moving = useRef(false);
  const idle = useRef<ReturnType<typeof setTimeout> | null>(null);

  const renderPoints = (g: Gpu, v: ViewState, cw: number, ch: number, dpr: number) => {
    const { gl, program, vao, uniforms } = g;
    const max = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    const factor = Math.max(1, Math.min(2, max / (cw * dpr), max / (ch * dpr)));
    const tw = Math.max(1, Math.round(cw * dpr * factor)), th = Math.max(1, Math.round(ch * dpr * factor));
    gl.bindTexture(gl.TEXTURE_2D, g.texture);
    if (g.textureSize[0] !== tw || g.textureSize[1] !== th) {
      gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, tw, th, 0, gl.RGBA, gl.UNSIGNED_BYTE, null);
      gl.bindFramebuffer(gl.FRAMEBUFFER, g.framebuffer);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, g.texture, 0);
      g.textureSize = [tw, th];
    }
    gl.bindFramebuffer(gl.FRAMEBUFFER, g.framebuffer);
    gl.viewport(0, 0, tw, th);
    const bg = rgbOf(style.current.background);
    gl.clearColor(bg[0], bg[1], bg[2], 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(program);
    gl.bindVertexArray(vao);
    gl.uniform2f(uniforms.center, v.cx, v.cy);
    gl.uniform2f(uniforms.scale, (2 * v.scale) / (cw * factor), (2 * v.scale) / (ch * factor));
    const size = pointSize(counts.current.points, v, fitted.current);
    gl.uniform1f(uniforms.size, size * dpr);
    gl.uniform1f(uniforms.ring, 0);
    // Rims only where points are big enough to show them (not at hundreds of thousands).
    gl.uniform1f(uniforms.edge, style.current.rims && size * dpr >= 4 ? 1 : 0);
    gl.drawArrays(gl.POINTS, 0, counts.current.points);
    if (counts.current.selected > 0) {
      gl.uniform1f(uniforms.size, Math.max(6, size + 4) * dpr);
      gl.uniform1f(uniforms.ring, 1);
      const ringColor = rgbOf(style.current.ring);
      gl.uniform3f(uniforms.ringColor, ringColor[0], ringColor[1], ringColor[2]);
      gl.drawElements(gl.POINTS, counts.current.selected, gl.UNSIGNED_INT, 0);
    }
    gl.bindVertexArray(null);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    cache.current = { view: v, width: cw, height: ch, factor, dpr };
  };

  const draw = useCallback(() => {
    frame.current = null;
    const g = gpu.current, c = canvas.current, v = view.current, w = wrapper.current;
    if (!g || !c || !v || !w) return;
    const { gl } = g;
    const dpr = window.devicePixelRatio || 1;
    const cw = c.clientWidth, ch = c.clientHeight;
    if (cw === 0 || ch === 0) return;
    if (c.width !== Math.round(cw * dpr) || c.height !== Math.round(ch * dpr)) {
      c.width = Math.round(cw * dpr);
      c.height = Math.round(ch * dpr);
    }
    let cached = cache.current;
    // Where the texture's center is on the canvas, and half its size (CSS pixels).
    const placed = (k: NonNullable<typeof cached>) => {
      const [sx, sy] = toScreen(v, cw, ch, k.view.cx, k.view.cy);
      const zoom = v.scale / k.view.scale;
      return { sx, sy, hw: (k.width * k.factor * zoom) / 2, hh: (k.height * k.factor * zoom) / 2 };
    };
    const covers = (k: NonNullable<typeof cached>) => {
      const { sx, sy, hw, hh } = placed(k);
      return sx - hw <= 0 && sx + hw >= cw && sy - hh <= 0 && sy + hh >= ch;
    };
    const rests = !moving.current && cached !== null && (cached.view.cx !== v.cx || cached.view.cy !== v.cy || cached.view.scale !== v.scale);
    if (dirty.current || !cached || cached.width !== cw || cached.height !== ch || cached.dpr !== dpr || rests || !covers(cached)) {
      renderPoints(g, v, cw, ch, dpr);
      dirty.current = false;
      cached = cache.current!;
      w.dataset.renders = String(Number(w.dataset.renders ?? 0) + 1);
    }
    const { sx, sy, hw, hh } = placed(cached);
    gl.viewport(0, 0, c.width, c.height);
    const bg = rgbOf(style.current.background);
    gl.clearColor(bg[0], bg[1], bg[2], 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.disable(gl.BLEND);
    gl.useProgram(g.blit);
    gl.bindVertexArray(g.blitVao);
    gl.bindTexture(gl.TEXTURE_2D, g.texture);
    gl.uniform4f(g.blitRect, ((sx - hw) / cw) * 2 - 1, 1 - ((sy + hh) / ch) * 2, ((sx + hw) / cw) * 2 - 1, 1 - ((sy - hh) / ch) * 2);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
    gl.bindVertexArray(null);
    w.dataset.cx = String(v.cx);
    w.dataset.cy = String(v.cy);
    w.dataset.scale = String(v.scale);
    w.dataset.width = String(cw);
    w.dataset.height = String(ch);
    w.dataset.frames = String(Number(w.dataset.frames ?? 0) + 1);
  }, []);

  const schedule = useCallback(() => {
    if (frame.current === null) frame.current = requestAnimationFrame(draw);
  }, [draw]);
  /** Something drawn changed: the points are drawn again. */
  const redraw = useCallback(() => {
    dirty.current = true;
    schedule();
  }, [schedule]);
  /** The view moved: the texture follows now, the points are drawn again once it rests. */
  const moved = useCallback(() => {
    moving.current = true;
    if (idle.current !== null) clearTimeout(idle.current);
    idle.current = setTimeout(() => {
      idle.current = null;
      moving.current = false;
      schedule();
    }, IDLE_MS);
    schedule();
  }, [schedule]);

  // WebGL once per canvas, and again when the browser restores a lost context (a GPU
  // reset): `generation` then uploads the points, colors and selection again.
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const c = canvas.current;
    const start = () => {
      try {
        gpu.current = c ? setUp(c) : null;
        if (!gpu.current) setFailed("This browser cannot draw WebGL2, which the embedding view needs.");
      } catch (e) {
        setFailed(String((e as Error).message ?? e));
      }
    };
    start();
    const lost = (e: Event) => {
      e.preventDefault(); // ask for the context back
      gpu.current = null;
    };
    const restored = () => {
      start();
      cache.current = null;
      setGeneration((g) => g + 1);
    };
    c?.addEventListener("webglcontextlost", lost);
    c?.addEventListener("webglcontextrestored", restored);
    return () => {
      c?.removeEventListener("webglcontextlost", lost);
      c?.removeEventListener("webglcontextrestored", restored);
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      if (idle.current !== null) clearTimeout(idle.current);
      gpu.current = null;
    };
  }, []);

  // The canvas's width follows its container.
  useEffect(() => {
    const w = wrapper.current;
    if (!w || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setWidth(w.clientWidth));
    observer.observe(w);
    setWidth(w.clientWidth);
    return () => observer.disconnect();
  }, []);

  const fit = useCallback(() => {
    const c = canvas.current;
    if (!c || c.clientWidth === 0) return;
    // Fitted below the tool buttons' strip: the points start under it, not behind it.
    const fit = fitView(bounds, c.clientWidth, c.clientHeight - TOOLS_STRIP);
    fitted.current = { ...fit, cy: fit.cy + TOOLS_STRIP / 2 / fit.scale };
    view.current = fitted.current;
    redraw();
  }, [bounds, redraw]);
  useImperativeHandle(ref, () => ({ resetView: fit }), [fit]);

  // New points: upload, index for hover, fit the view.
  useEffect(() => {
    const g = gpu.current;
    if (!g) return;
    g.gl.bindBuffer(g.gl.ARRAY_BUFFER, g.xy);
    g.gl.bufferData(g.gl.ARRAY_BUFFER, xy, g.gl.STATIC_DRAW);
    counts.current.points = xy.length / 2;
    grid.current = new PointGrid(xy);
    fit();
  }, [xy, bounds, fit, generation]);
  useEffect(() => {
    if (view.current === null) fit();
    else redraw();
  }, [width, fit, redraw]);

  useEffect(() => {
    const g = gpu.current;
    if (!g || rgba.length !== counts.current.points * 4) return;
    g.gl.bindBuffer(g.gl.ARRAY_BUFFER, g.rgba);
    g.gl.bufferData(g.gl.ARRAY_BUFFER, rgba, g.gl.DYNAMIC_DRAW);
    redraw();
  }, [rgba, xy, redraw, generation]);

  useEffect(() => {
    const g = gpu.current;
    if (!g) return;
    g.gl.bindVertexArray(g.vao);
    g.gl.bindBuffer(g.gl.ELEMENT_ARRAY_BUFFER, g.selected);
    g.gl.bufferData(g.gl.ELEMENT_ARRAY_BUFFER, selected ?? new Uint32Array(0), g.gl.DYNAMIC_DRAW);
    g.gl.bindVertexArray(null);
    counts.current.selected = selected?.length ?? 0;
    redraw();
  }, [selected, xy, redraw, generation]);

  useEffect(redraw, [background, ring, rims, redraw]);

  const local = (e: { clientX: number; clientY: number }): Point => {
    const r = canvas.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const size = () => [canvas.current!.clientWidth, canvas.current!.clientHeight] as const;

  /** The shown point within 8 px of (sx, sy) on the canvas, nearest first (-1: none). */
  const pointAt = (p: Point): number => {
    const v = view.current;
    if (!v || !grid.current) return -1;
    const [w, h] = size();
    const [x, y] = toData(v, w, h, p[0], p[1]);
    const sel = selectableRef.current;
    return grid.current.nearest(x, y, 8 / v.scale, (i) => sel[i] === 1);
  };
  const hoverAt = (p: Point | null) => {
    const report = onHoverRef.current;
    if (!report) return;
    const v = view.current;
    if (!p || !v || !grid.current) return report(-1, null, null);
    const [w, h] = size();
    const index = pointAt(p);
    if (index < 0) return report(-1, null, null);
    report(index, toScreen(v, w, h, xy[2 * index]!, xy[2 * index + 1]!), [w, h]);
  };

  const onPointerDown = (e: PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    const p = local(e);
    drag.current = { kind: mode, start: p, last: p, path: [p] };
    hoverAt(null);
  };
  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const p = local(e);
    const d = drag.current;
    if (!d) return hoverAt(p);
    if (d.kind === "pan") {
      view.current = panBy(view.current!, p[0] - d.last[0], p[1] - d.last[1]);
      moved();
    } else if (d.kind === "lasso") {
      const prev = d.path[d.path.length - 1]!;
      if (Math.hypot(p[0] - prev[0], p[1] - prev[1]) >= 2) {
        d.path.push(p);
        setShape([...d.path]);
      }
    } else {
      setShape([d.start, p]);
    }
    d.last = p;
  };
  const onPointerUp = (e: PointerEvent<HTMLCanvasElement>) => {
    const d = drag.current;
    drag.current = null;
    setShape(null);
    if (!d || !view.current) return;
    const end = local(e);
    // A click (the pointer kept within 3 px): the point under it, in any mode.
    if (d.path.every((p) => Math.hypot(p[0] - d.start[0], p[1] - d.start[1]) < 3) && Math.hypot(end[0] - d.start[0], end[1] - d.start[1]) < 3) {
      const index = pointAt(end);
      if (index >= 0) onPick?.(index, e.shiftKey || e.metaKey || e.ctrlKey);
      return;
    }
    const [w, h] = size();
    const toDataPoint = (p: Point): Point => toData(view.current!, w, h, p[0], p[1]);
    const how: SelectionCombine = e.altKey ? "remove" : e.shiftKey ? "add" : "replace";
    if (d.kind === "lasso" && d.path.length >= 3) onSelect({ kind: "lasso", polygon: d.path.map(toDataPoint) }, how);
    if (d.kind === "box") {
      if (Math.abs(end[0] - d.start[0]) > 2 && Math.abs(end[1] - d.start[1]) > 2) onSelect({ kind: "box", a: toDataPoint(d.start), b: toDataPoint(end) }, how);
    }
  };
  const onWheel = (e: WheelEvent<HTMLCanvasElement>) => {
    if (!view.current) return;
    const [w, h] = size();
    const p = local(e);
    view.current = zoomAt(view.current, w, h, p[0], p[1], Math.exp(-e.deltaY * 0.0015));
    moved();
  };
  const onKeyDown = (e: KeyboardEvent<HTMLCanvasElement>) => {
    if (!view.current) return;
    const [w, h] = size();
    const step = 40;
    const moves: Record<string, () => ViewState> = {
      ArrowLeft: () => panBy(view.current!, step, 0),
      ArrowRight: () => panBy(view.current!, -step, 0),
      ArrowUp: () => panBy(view.current!, 0, step),
      ArrowDown: () => panBy(view.current!, 0, -step),
      "+": () => zoomAt(view.current!, w, h, w / 2, h / 2, 1.25),
      "=": () => zoomAt(view.current!, w, h, w / 2, h / 2, 1.25),
      "-": () => zoomAt(view.current!, w, h, w / 2, h / 2, 0.8),
    };
    if (e.key === "0") return fit();
    const move = moves[e.key];
    if (!move) return;
    e.preventDefault();
    view.current = move();
    moved();
  };

  // The wheel must not scroll the page while zooming (React's wheel listener is passive).
  useEffect(() => {
    const c = canvas.current;
    if (!c) return;
    const stop = (e: globalThis.WheelEvent) => e.preventDefault();
    c.addEventListener("wheel", stop, { passive: false });
    return () => c.removeEventListener("wheel", stop);
  }, []);

  const shapePath = shape && (mode === "box" && shape.length === 2
    ? `M${shape[0]![0]},${shape[0]![1]}H${shape[1]![0]}V${shape[1]![1]}H${shape[0]![0]}Z`
    : `M${shape.map((p) => p.join(",")).join("L")}Z`);

  return (
    <div ref={wrapper} className={`embedding-scatter mode-${mode}`} style={{ height }} data-testid="embedding-scatter">
      {failed ? (
        <p className="error" role="alert">{failed}</p>
      ) : (
        <>
          <canvas ref={canvas} tabIndex={0} role="img" aria-label={`${label}: drag to ${mode === "pan" ? "pan" : mode === "lasso" ? "draw a lasso" : "draw a box"}, wheel or + / - to zoom, arrows to pan, 0 to fit`}
            style={{ width: "100%", height: "100%", background }}
            onPointerDown={onPointerDown} onPointerMove={onPointerMove} onPointerUp={onPointerUp}
            onPointerLeave={() => { if (!drag.current) hoverAt(null); }} onWheel={onWheel} onKeyDown={onKeyDown} />
          {shapePath && (
            <svg className="embedding-shape" aria-hidden="true">
              <path d={shapePath} />
            </svg>
          )}
        </>
      )}
    </div>
  );
});
