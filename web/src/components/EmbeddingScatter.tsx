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
import { fitView, panBy, PointGrid, toData, toScreen, zoomAt, type Bounds, type Point, type ViewState } from "../lib/embedding";

export type ScatterMode = "pan" | "lasso" | "box";

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
  /** A lasso (polygon) or box (two corners) closed, in data coordinates. */
  onSelect: (shape: { kind: "lasso"; polygon: Point[] } | { kind: "box"; a: Point; b: Point }) => void;
  /** The point under the pointer (-1: none), where it is on the canvas and the canvas's size (CSS pixels). */
  onHover?: (index: number, at: Point | null, area: Point | null) => void;
  /** The canvas's background and the selection ring's color (the theme's). */
  background: string;
  ring: string;
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
out vec4 color;
void main() {
  vec2 c = gl_PointCoord * 2.0 - 1.0;
  float r = dot(c, c);
  if (r > 1.0) discard;
  if (u_ring > 0.5 && r > 0.45) { color = vec4(u_ring_color, 1.0); return; }
  color = vec4(v_rgba.rgb, u_ring > 0.5 ? 1.0 : v_rgba.a);
}`;

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
  uniforms: Record<"center" | "scale" | "size" | "ring" | "ringColor", WebGLUniformLocation | null>;
}

function setUp(canvas: HTMLCanvasElement): Gpu | null {
  const gl = canvas.getContext("webgl2", { antialias: false, premultipliedAlpha: false, preserveDrawingBuffer: false });
  if (!gl) return null;
  const program = gl.createProgram()!;
  gl.attachShader(program, compile(gl, gl.VERTEX_SHADER, VERTEX));
  gl.attachShader(program, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
  gl.bindAttribLocation(program, 0, "a_xy");
  gl.bindAttribLocation(program, 1, "a_rgba");
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`WebGL program: ${gl.getProgramInfoLog(program)}`);
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
  return {
    gl, program, vao, xy, rgba, selected,
    uniforms: { center: at("u_center"), scale: at("u_scale"), size: at("u_size"), ring: at("u_ring"), ringColor: at("u_ring_color") },
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
  { xy, rgba, selectable, bounds, selected, mode, onSelect, onHover, background, ring, height = 560, label = "Embedding scatter" },
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
  const style = useRef({ background, ring });
  style.current = { background, ring };
  const [shape, setShape] = useState<Point[] | null>(null); // the lasso or box being drawn, screen pixels
  const drag = useRef<{ kind: ScatterMode; start: Point; last: Point; path: Point[] } | null>(null);
  const grid = useRef<PointGrid | null>(null);
  const selectableRef = useRef(selectable);
  selectableRef.current = selectable;
  const onHoverRef = useRef(onHover);
  onHoverRef.current = onHover;

  const draw = useCallback(() => {
    frame.current = null;
    const g = gpu.current, c = canvas.current, v = view.current, w = wrapper.current;
    if (!g || !c || !v || !w) return;
    const { gl, program, vao, uniforms } = g;
    const dpr = window.devicePixelRatio || 1;
    const cw = c.clientWidth, ch = c.clientHeight;
    if (c.width !== Math.round(cw * dpr) || c.height !== Math.round(ch * dpr)) {
      c.width = Math.round(cw * dpr);
      c.height = Math.round(ch * dpr);
    }
    gl.viewport(0, 0, c.width, c.height);
    const bg = rgbOf(style.current.background);
    gl.clearColor(bg[0], bg[1], bg[2], 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.SRC_ALPHA, gl.ONE_MINUS_SRC_ALPHA);
    gl.useProgram(program);
    gl.bindVertexArray(vao);
    gl.uniform2f(uniforms.center, v.cx, v.cy);
    gl.uniform2f(uniforms.scale, (2 * v.scale) / cw, (2 * v.scale) / ch);
    const size = pointSize(counts.current.points, v, fitted.current);
    gl.uniform1f(uniforms.size, size * dpr);
    gl.uniform1f(uniforms.ring, 0);
    gl.drawArrays(gl.POINTS, 0, counts.current.points);
    if (counts.current.selected > 0) {
      gl.uniform1f(uniforms.size, Math.max(6, size + 4) * dpr);
      gl.uniform1f(uniforms.ring, 1);
      const ringColor = rgbOf(style.current.ring);
      gl.uniform3f(uniforms.ringColor, ringColor[0], ringColor[1], ringColor[2]);
      gl.drawElements(gl.POINTS, counts.current.selected, gl.UNSIGNED_INT, 0);
    }
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

  // WebGL once per canvas.
  useEffect(() => {
    try {
      gpu.current = canvas.current ? setUp(canvas.current) : null;
      if (!gpu.current) setFailed("This browser cannot draw WebGL2, which the embedding view needs.");
    } catch (e) {
      setFailed(String((e as Error).message ?? e));
    }
    return () => {
      if (frame.current !== null) cancelAnimationFrame(frame.current);
      gpu.current = null;
    };
  }, []);

  // The canvas's width follows its container.
  useEffect(() => {
    const w = wrapper.current;
    if (!w) return;
    const observer = new ResizeObserver(() => setWidth(w.clientWidth));
    observer.observe(w);
    setWidth(w.clientWidth);
    return () => observer.disconnect();
  }, []);

  const fit = useCallback(() => {
    const c = canvas.current;
    if (!c || c.clientWidth === 0) return;
    fitted.current = fitView(bounds, c.clientWidth, c.clientHeight);
    view.current = fitted.current;
    schedule();
  }, [bounds, schedule]);
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
  }, [xy, bounds, fit]);
  useEffect(() => {
    if (view.current === null) fit();
    else schedule();
  }, [width, fit, schedule]);

  useEffect(() => {
    const g = gpu.current;
    if (!g || rgba.length !== counts.current.points * 4) return;
    g.gl.bindBuffer(g.gl.ARRAY_BUFFER, g.rgba);
    g.gl.bufferData(g.gl.ARRAY_BUFFER, rgba, g.gl.DYNAMIC_DRAW);
    schedule();
  }, [rgba, xy, schedule]);

  useEffect(() => {
    const g = gpu.current;
    if (!g) return;
    g.gl.bindVertexArray(g.vao);
    g.gl.bindBuffer(g.gl.ELEMENT_ARRAY_BUFFER, g.selected);
    g.gl.bufferData(g.gl.ELEMENT_ARRAY_BUFFER, selected ?? new Uint32Array(0), g.gl.DYNAMIC_DRAW);
    g.gl.bindVertexArray(null);
    counts.current.selected = selected?.length ?? 0;
    schedule();
  }, [selected, xy, schedule]);

  useEffect(schedule, [background, ring, schedule]);

  const local = (e: { clientX: number; clientY: number }): Point => {
    const r = canvas.current!.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };
  const size = () => [canvas.current!.clientWidth, canvas.current!.clientHeight] as const;

  const hoverAt = (p: Point | null) => {
    const report = onHoverRef.current;
    if (!report) return;
    const v = view.current;
    if (!p || !v || !grid.current) return report(-1, null, null);
    const [w, h] = size();
    const [x, y] = toData(v, w, h, p[0], p[1]);
    const sel = selectableRef.current;
    const index = grid.current.nearest(x, y, 8 / v.scale, (i) => sel[i] === 1);
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
      schedule();
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
    const [w, h] = size();
    const toDataPoint = (p: Point): Point => toData(view.current!, w, h, p[0], p[1]);
    if (d.kind === "lasso" && d.path.length >= 3) onSelect({ kind: "lasso", polygon: d.path.map(toDataPoint) });
    if (d.kind === "box") {
      const end = local(e);
      if (Math.abs(end[0] - d.start[0]) > 2 && Math.abs(end[1] - d.start[1]) > 2) onSelect({ kind: "box", a: toDataPoint(d.start), b: toDataPoint(end) });
    }
  };
  const onWheel = (e: WheelEvent<HTMLCanvasElement>) => {
    if (!view.current) return;
    const [w, h] = size();
    const p = local(e);
    view.current = zoomAt(view.current, w, h, p[0], p[1], Math.exp(-e.deltaY * 0.0015));
    schedule();
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
    schedule();
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
